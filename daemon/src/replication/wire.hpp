#pragma once
// The one binary field codec of the state stream (records and link frames): little-endian fixed
// integers and u32-length-prefixed strings. WireReader never reads past its input: the first
// failed read marks it failed and every later read returns zero / empty.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sipha::replication {

// A string field longer than this is refused by both writer and reader.
inline constexpr std::size_t kMaxFieldBytes = 64 * 1024;

class WireWriter {
 public:
  explicit WireWriter(std::string& out) noexcept : out_(out) {}
  void u8(std::uint8_t value);
  void u16(std::uint16_t value);
  void u32(std::uint32_t value);
  void u64(std::uint64_t value);
  void i64(std::int64_t value) { u64(static_cast<std::uint64_t>(value)); }
  // False (nothing written) when longer than kMaxFieldBytes.
  bool string(std::string_view value);
  // Raw bytes, no length (the caller writes the length it bounds itself).
  void bytes(std::string_view value) { out_.append(value); }

 private:
  std::string& out_;
};

class WireReader {
 public:
  explicit WireReader(std::string_view in) noexcept : rest_(in) {}
  std::uint8_t u8() noexcept;
  std::uint16_t u16() noexcept;
  std::uint32_t u32() noexcept;
  std::uint64_t u64() noexcept;
  std::int64_t i64() noexcept { return static_cast<std::int64_t>(u64()); }
  // A view into the input; fails when the length is over kMaxFieldBytes or the input is short.
  std::string_view string() noexcept;
  bool string(std::string& out) {
    out.assign(string());
    return !failed_;
  }
  // `n` raw bytes as a view into the input (for fields bounded by other limits than
  // kMaxFieldBytes, such as a frame's records); fails when the input is short.
  std::string_view bytes(std::size_t n) noexcept;
  bool failed() const noexcept { return failed_; }
  // Everything read, nothing left over, nothing failed.
  bool done() const noexcept { return !failed_ && rest_.empty(); }
  std::string_view rest() const noexcept { return rest_; }

 private:
  bool take(std::size_t n, const char*& at) noexcept;
  std::string_view rest_;
  bool failed_ = false;
};

}  // namespace sipha::replication
