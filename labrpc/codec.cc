// The codec's non-template parts: the input archive's checks, and the
// archive serializer maps for the codec's own archive classes (Boost
// compiles them only for its own archives).
#include "labrpc/codec.h"

#include <boost/archive/impl/archive_serializer_map.ipp>
#include <cstring>
#include <string>

namespace boost {
namespace archive {
template class detail::archive_serializer_map<labrpc::internal::OArchive>;
template class detail::archive_serializer_map<labrpc::internal::IArchive>;
}  // namespace archive
}  // namespace boost

namespace labrpc {
namespace internal {

namespace {
// No header: both ends are this build, and every message saves the bytes.
constexpr unsigned kArchiveFlags = boost::archive::no_header;
}  // namespace

void IArchive::load_binary(void* address, std::size_t count) {
  if (count > Remaining()) {
    throw DecodeError("truncated: " + std::to_string(count) +
                      " bytes needed, " + std::to_string(Remaining()) +
                      " left");
  }
  if (count > 0) std::memcpy(address, in_.data() + pos_, count);
  pos_ += count;
}

void IArchive::load_override(boost::serialization::collection_size_type& t) {
  Base::load_override(t);
  const std::size_t count = t;
  // Every element of every collection this codec writes takes at least one
  // byte, so a count above the bytes left is corrupt; rejecting it here is
  // what keeps vector::reserve/resize from allocating gigabytes.
  if (count > Remaining()) {
    throw DecodeError("collection of " + std::to_string(count) +
                      " elements with only " + std::to_string(Remaining()) +
                      " bytes left");
  }
}

void IArchive::load_override(boost::archive::class_name_type& t) {
  // As basic_binary_iarchive's (compiled only for Boost's own archives).
  std::string name;
  load(name);
  if (name.size() > BOOST_SERIALIZATION_MAX_KEY_SIZE - 1) {
    throw DecodeError("class name of " + std::to_string(name.size()) +
                      " bytes");
  }
  std::memcpy(t, name.data(), name.size());
  t.t[name.size()] = '\0';
}

void IArchive::load(bool& b) {
  unsigned char c = 0;
  load_binary(&c, 1);
  // Storing any other value in a bool is undefined behaviour.
  if (c > 1) throw DecodeError("invalid bool byte " + std::to_string(c));
  b = c != 0;
}

void IArchive::load(boost::archive::tracking_type& t) {
  bool tracking = false;
  load(tracking);
  t = boost::archive::tracking_type(tracking);
}

void IArchive::load(std::string& s) {
  std::size_t length = 0;
  load(length);
  if (length > Remaining()) {
    throw DecodeError("string of " + std::to_string(length) +
                      " bytes with only " + std::to_string(Remaining()) +
                      " bytes left");
  }
  s.assign(in_.data() + pos_, length);
  pos_ += length;
}

std::string DecodeFailure(const std::string& type, std::string_view reason) {
  return "labrpc::Decode<" + type + ">: " + std::string(reason);
}

}  // namespace internal

Encoder::Encoder() { archive_.emplace(&bytes_, internal::kArchiveFlags); }

Encoder::~Encoder() = default;

Bytes Encoder::Finish() {
  if (!archive_) throw std::logic_error("labrpc::Encoder: Finish called twice");
  archive_.reset();
  return std::move(bytes_);
}

Decoder::Decoder(std::string_view bytes) {
  archive_.emplace(bytes, internal::kArchiveFlags);
}

Decoder::~Decoder() = default;

}  // namespace labrpc
