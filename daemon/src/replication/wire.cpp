#include "replication/wire.hpp"

namespace sipha::replication {
namespace {

template <typename T>
void put(std::string& out, T value) {
  char bytes[sizeof(T)];
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    bytes[i] = static_cast<char>(static_cast<std::uint8_t>(value >> (8 * i)));
  }
  out.append(bytes, sizeof(T));
}

template <typename T>
T get(const char* at) noexcept {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    value |= static_cast<std::uint64_t>(static_cast<unsigned char>(at[i])) << (8 * i);
  }
  return static_cast<T>(value);
}

}  // namespace

void WireWriter::u8(std::uint8_t value) { out_.push_back(static_cast<char>(value)); }
void WireWriter::u16(std::uint16_t value) { put(out_, value); }
void WireWriter::u32(std::uint32_t value) { put(out_, value); }
void WireWriter::u64(std::uint64_t value) { put(out_, value); }

bool WireWriter::string(std::string_view value) {
  if (value.size() > kMaxFieldBytes) return false;
  u32(static_cast<std::uint32_t>(value.size()));
  out_.append(value);
  return true;
}

bool WireReader::take(std::size_t n, const char*& at) noexcept {
  if (failed_ || rest_.size() < n) {
    failed_ = true;
    rest_ = {};
    return false;
  }
  at = rest_.data();
  rest_.remove_prefix(n);
  return true;
}

std::uint8_t WireReader::u8() noexcept {
  const char* at = nullptr;
  return take(1, at) ? static_cast<std::uint8_t>(*at) : 0;
}

std::uint16_t WireReader::u16() noexcept {
  const char* at = nullptr;
  return take(2, at) ? get<std::uint16_t>(at) : 0;
}

std::uint32_t WireReader::u32() noexcept {
  const char* at = nullptr;
  return take(4, at) ? get<std::uint32_t>(at) : 0;
}

std::uint64_t WireReader::u64() noexcept {
  const char* at = nullptr;
  return take(8, at) ? get<std::uint64_t>(at) : 0;
}

std::string_view WireReader::bytes(std::size_t n) noexcept {
  const char* at = nullptr;
  if (!take(n, at)) return {};
  return {at, n};
}

std::string_view WireReader::string() noexcept {
  const std::uint32_t length = u32();
  if (length > kMaxFieldBytes) {
    failed_ = true;
    rest_ = {};
  }
  return bytes(length);
}

}  // namespace sipha::replication
