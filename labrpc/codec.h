// The codec: turns values into opaque bytes and back, for RPC arguments and
// replies, Raft's persisted state and snapshots. The fabric always encodes and
// decodes, a deep copy as labgob does, so a field missing from serialize()
// shows up as a test failure, not as shared memory.
//
// It is Boost.Serialization's binary archive without its header, so a type
// becomes encodable the usual Boost way:
//
//   struct AppendEntriesArgs {
//     int term = 0;
//     std::vector<LogEntry> entries;
//     template <class Archive>
//     void serialize(Archive& ar, const unsigned /*version*/) {
//       ar & term & entries;
//     }
//   };
//
//   labrpc::Bytes b = labrpc::Encode(args);
//   auto copy = labrpc::Decode<AppendEntriesArgs>(b);   // throws DecodeError
//
//   labrpc::Encoder e;                  // several values in one buffer
//   e.Put(current_term).Put(voted_for).Put(log);
//   labrpc::Bytes state = e.Finish();
//   labrpc::Decoder d(state);
//   d.Get(&current_term); d.Get(&voted_for); d.Get(&log);
//
// A field that serialize() does not mention does not travel: the decoded
// copy keeps that field's default value (labgob's "lower-case field" trap in
// C++ form). Decoding overwrites every serialized field, so, unlike gob,
// decoding into a non-default variable is safe.
//
// Decoding never trusts its input: truncated bytes, trailing bytes, random
// bytes, an invalid bool or a length prefix larger than the bytes left all
// give a DecodeError naming the type, before anything large is allocated.
// One limit follows from that: a collection may not hold more elements than
// there are bytes left after its length (so a vector of empty structs with
// more elements than bytes cannot be decoded).
//
// Headers for std::string, std::vector, std::map, std::set,
// std::unordered_map, std::unordered_set, std::array, std::pair and
// std::optional are included here, so users need not include Boost's.
#ifndef RAFTLAB_LABRPC_CODEC_H_
#define RAFTLAB_LABRPC_CODEC_H_

#include <boost/archive/basic_binary_iarchive.hpp>
#include <boost/archive/basic_binary_oarchive.hpp>
#include <boost/archive/detail/register_archive.hpp>
#include <boost/core/demangle.hpp>
#include <boost/mpl/bool.hpp>
#include <boost/serialization/array.hpp>
#include <boost/serialization/array_wrapper.hpp>
#include <boost/serialization/is_bitwise_serializable.hpp>
#include <boost/serialization/map.hpp>
#include <boost/serialization/set.hpp>
#include <boost/serialization/split_free.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/unordered_map.hpp>
#include <boost/serialization/unordered_set.hpp>
#include <boost/serialization/utility.hpp>
#include <boost/serialization/vector.hpp>
#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>

namespace labrpc {

// Opaque encoded bytes.
using Bytes = std::string;

// The input could not be decoded as the requested type. what() names the
// type and the reason.
class DecodeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Encoding failed (Boost refused a value). Rare: a bug in a serialize().
class EncodeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A readable name for T ("raft::AppendEntriesArgs"), for error messages.
template <class T>
std::string TypeName() {
  return boost::core::demangle(typeid(T).name());
}
inline std::string TypeName(const std::type_info& type) {
  return boost::core::demangle(type.name());
}

namespace internal {

// The codec's archives are Boost's binary archives with the stream layer
// replaced: the format logic (class preambles, versions, collection sizes)
// is Boost's basic_binary_oarchive / basic_binary_iarchive, and the bytes
// are exactly binary_oarchive's with no_header; but they write straight into
// a std::string and read straight from a string_view, with no streambuf and
// none of the std::locale set-up that costs binary_oarchive about a
// microsecond per message.

// Writes Boost's binary format into a std::string.
class OArchive : public boost::archive::basic_binary_oarchive<OArchive> {
  using Base = boost::archive::basic_binary_oarchive<OArchive>;

 public:
  OArchive(std::string* out, unsigned flags) : Base(flags), out_(out) {}

  // The hooks Boost's archive machinery calls (through the CRTP). Public so
  // that no friend list has to track Boost's internals.
  template <class T>
  void save_override(T& t) {
    Base::save_override(t);
  }

  template <class T>
  void save(const T& t) {
    save_binary(&t, sizeof(T));
  }
  void save(const bool t) {
    const unsigned char c = t ? 1 : 0;
    save_binary(&c, 1);
  }
  void save(const std::string& s) {
    const std::size_t length = s.size();
    save(length);
    save_binary(s.data(), length);
  }

  void save_binary(const void* address, std::size_t count) {
    out_->append(static_cast<const char*>(address), count);
  }

  // Arrays of bitwise-serializable elements go out as one block.
  struct use_array_optimization {
    template <class T>
    struct apply : public boost::serialization::is_bitwise_serializable<T> {};
  };
  template <class ValueType>
  void save_array(const boost::serialization::array_wrapper<ValueType>& a,
                  unsigned /*version*/) {
    save_binary(a.address(), a.count() * sizeof(ValueType));
  }

 private:
  std::string* out_;
};

// Reads Boost's binary format from a string_view, trusting nothing: reads
// past the end, a string length or collection count above the bytes left,
// and a bool or tracking flag other than 0/1 all throw DecodeError before
// anything is allocated or stored.
class IArchive : public boost::archive::basic_binary_iarchive<IArchive> {
  using Base = boost::archive::basic_binary_iarchive<IArchive>;

 public:
  IArchive(std::string_view in, unsigned flags) : Base(flags), in_(in) {}

  template <class T>
  void load_override(T& t) {
    Base::load_override(t);
  }
  void load_override(boost::serialization::collection_size_type& t);
  void load_override(boost::archive::class_name_type& t);

  template <class T>
  void load(T& t) {
    load_binary(&t, sizeof(T));
  }
  void load(bool& b);
  void load(boost::archive::tracking_type& t);
  void load(std::string& s);

  void load_binary(void* address, std::size_t count);

  // As OArchive's, except that arrays of bool are read element by element,
  // so that each byte is checked (the bytes are the same either way).
  struct use_array_optimization {
    template <class T>
    struct apply
        : public boost::mpl::bool_<
              boost::serialization::is_bitwise_serializable<T>::value &&
              !std::is_same_v<T, bool>> {};
  };
  template <class ValueType>
  void load_array(boost::serialization::array_wrapper<ValueType>& a,
                  unsigned /*version*/) {
    load_binary(a.address(), a.count() * sizeof(ValueType));
  }

  // Bytes not yet consumed.
  std::size_t Remaining() const { return in_.size() - pos_; }

 private:
  std::string_view in_;
  std::size_t pos_ = 0;
};

// Builds the DecodeError message for a failure decoding T.
std::string DecodeFailure(const std::string& type, std::string_view reason);

}  // namespace internal

// Encodes several values, in order, into one buffer. Types that appear more
// than once share one class preamble, so decode with one Decoder, in the
// same order and with the same types.
class Encoder {
 public:
  Encoder();
  ~Encoder();
  Encoder(const Encoder&) = delete;
  Encoder& operator=(const Encoder&) = delete;

  // Appends v. Throws EncodeError if Boost refuses it.
  template <class T>
  Encoder& Put(const T& v) {
    if (!archive_) throw std::logic_error("labrpc::Encoder: Put after Finish");
    try {
      *archive_ << v;
    } catch (const std::exception& e) {
      throw EncodeError("labrpc::Encode<" + TypeName<T>() + ">: " + e.what());
    }
    return *this;
  }

  // The bytes of every value put so far. The encoder is spent afterwards.
  Bytes Finish();

 private:
  Bytes bytes_;
  std::optional<internal::OArchive> archive_;
};

// Decodes values from bytes made by an Encoder, in the order they were put.
// The bytes must outlive the decoder.
class Decoder {
 public:
  explicit Decoder(std::string_view bytes);
  ~Decoder();
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  // Decodes the next value into *v. Throws DecodeError (naming T) on bad
  // input; *v may then be partly overwritten, and every later Get throws.
  template <class T>
  void Get(T* v) {
    if (failed_) {
      throw DecodeError(internal::DecodeFailure(
          TypeName<T>(), "an earlier Get on this Decoder failed"));
    }
    try {
      *archive_ >> *v;
    } catch (const std::exception& e) {
      // archive_exception, DecodeError from the checks, bad_alloc,
      // length_error, ...: all mean "these bytes are not a T".
      failed_ = true;
      throw DecodeError(internal::DecodeFailure(TypeName<T>(), e.what()));
    }
  }

  // True once every byte has been consumed.
  bool AtEnd() const { return archive_->Remaining() == 0; }
  // Bytes not yet consumed.
  std::size_t Remaining() const { return archive_->Remaining(); }

 private:
  std::optional<internal::IArchive> archive_;
  bool failed_ = false;
};

// Encodes one value.
template <class T>
Bytes Encode(const T& value) {
  Encoder e;
  e.Put(value);
  return e.Finish();
}

// Decodes `bytes`, which must hold exactly one T, into *out. Throws
// DecodeError on bad input (including trailing bytes).
template <class T>
void Decode(std::string_view bytes, T* out) {
  Decoder d(bytes);
  d.Get(out);
  if (!d.AtEnd()) {
    throw DecodeError(internal::DecodeFailure(
        TypeName<T>(), "trailing bytes: " + std::to_string(d.Remaining()) +
                           " of " + std::to_string(bytes.size()) + " unused"));
  }
}

// As above, returning a fresh, value-initialised-then-decoded T.
template <class T>
T Decode(std::string_view bytes) {
  T value{};
  Decode(bytes, &value);
  return value;
}

}  // namespace labrpc

// std::optional<T>: a presence flag, then the value if present. (Boost 1.74
// only knows boost::optional.)
namespace boost {
namespace serialization {

template <class Archive, class T>
void save(Archive& ar, const std::optional<T>& v, const unsigned /*version*/) {
  const bool has = v.has_value();
  ar << has;
  if (has) ar << *v;
}

template <class Archive, class T>
void load(Archive& ar, std::optional<T>& v, const unsigned /*version*/) {
  bool has = false;
  ar >> has;
  if (!has) {
    v.reset();
    return;
  }
  if (!v) v.emplace();
  ar >> *v;
}

template <class Archive, class T>
void serialize(Archive& ar, std::optional<T>& v, const unsigned version) {
  split_free(ar, v, version);
}

}  // namespace serialization
}  // namespace boost

BOOST_SERIALIZATION_REGISTER_ARCHIVE(labrpc::internal::OArchive)
BOOST_SERIALIZATION_REGISTER_ARCHIVE(labrpc::internal::IArchive)
BOOST_SERIALIZATION_USE_ARRAY_OPTIMIZATION(labrpc::internal::OArchive)
BOOST_SERIALIZATION_USE_ARRAY_OPTIMIZATION(labrpc::internal::IArchive)

#endif  // RAFTLAB_LABRPC_CODEC_H_
