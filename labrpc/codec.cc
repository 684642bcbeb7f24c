// The codec's non-template parts: the stream buffers, the hardened input
// archive's checks, and the explicit instantiation of Boost's binary input
// archive templates for it (Boost compiles them only for its own archives).
#include "labrpc/codec.h"

#include <boost/archive/impl/archive_serializer_map.ipp>
#include <boost/archive/impl/basic_binary_iarchive.ipp>
#include <boost/archive/impl/basic_binary_iprimitive.ipp>
#include <string>

namespace boost {
namespace archive {
template class basic_binary_iprimitive<labrpc::internal::CheckedIArchive, char,
                                       std::char_traits<char>>;
template class basic_binary_iarchive<labrpc::internal::CheckedIArchive>;
template class binary_iarchive_impl<labrpc::internal::CheckedIArchive, char,
                                    std::char_traits<char>>;
template class detail::archive_serializer_map<
    labrpc::internal::CheckedIArchive>;
}  // namespace archive
}  // namespace boost

namespace labrpc {
namespace internal {

namespace {
// Flags for both directions: no header (compactness; both ends are this
// build) and no codecvt locale (bytes are bytes).
constexpr unsigned kArchiveFlags =
    boost::archive::no_header | boost::archive::no_codecvt;
}  // namespace

StringSink::int_type StringSink::overflow(int_type c) {
  if (!traits_type::eq_int_type(c, traits_type::eof())) {
    out_->push_back(traits_type::to_char_type(c));
  }
  return traits_type::not_eof(c);
}

std::streamsize StringSink::xsputn(const char* s, std::streamsize n) {
  out_->append(s, static_cast<std::size_t>(n));
  return n;
}

ViewSource::ViewSource(std::string_view bytes) {
  // The get area is never written through; the const_cast only satisfies
  // std::streambuf's char* interface.
  char* begin = const_cast<char*>(bytes.data());
  setg(begin, begin, begin + bytes.size());
}

void CheckedIArchive::load_override(
    boost::serialization::collection_size_type& t) {
  Base::load_override(t);
  const std::size_t count = t;
  const std::size_t left = Remaining();
  // Every element of every collection this codec writes takes at least one
  // byte, so a count above the bytes left is corrupt; rejecting it here is
  // what keeps vector::reserve/resize from allocating gigabytes.
  if (count > left) {
    throw DecodeError("collection of " + std::to_string(count) +
                      " elements with only " + std::to_string(left) +
                      " bytes left");
  }
}

void CheckedIArchive::load(bool& b) {
  unsigned char c = 0;
  load_binary(&c, 1);
  // Storing any other value in a bool is undefined behaviour.
  if (c > 1) {
    throw DecodeError("invalid bool byte " + std::to_string(c));
  }
  b = c != 0;
}

void CheckedIArchive::load(std::string& s) {
  std::size_t length = 0;
  load(length);
  const std::size_t left = Remaining();
  if (length > left) {
    throw DecodeError("string of " + std::to_string(length) +
                      " bytes with only " + std::to_string(left) +
                      " bytes left");
  }
  s.resize(length);
  if (length > 0) load_binary(s.data(), length);
}

std::string DecodeFailure(const std::string& type, std::string_view reason) {
  return "labrpc::Decode<" + type + ">: " + std::string(reason);
}

}  // namespace internal

Encoder::Encoder()
    : sink_(&bytes_),
      archive_(std::make_unique<boost::archive::binary_oarchive>(
          sink_, internal::kArchiveFlags)) {}

Encoder::~Encoder() = default;

Bytes Encoder::Finish() {
  if (!archive_) throw std::logic_error("labrpc::Encoder: Finish called twice");
  archive_.reset();  // the sink is unbuffered; this only releases Boost state
  return std::move(bytes_);
}

Decoder::Decoder(std::string_view bytes)
    : source_(bytes),
      archive_(std::make_unique<internal::CheckedIArchive>(
          source_, internal::kArchiveFlags)) {}

Decoder::~Decoder() = default;

}  // namespace labrpc
