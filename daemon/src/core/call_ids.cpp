#include "core/call_ids.hpp"

#include <random>

namespace sipha::core {

RandomIds::RandomIds() {
  std::random_device device;
  seed_ = (static_cast<std::uint64_t>(device()) << 32) ^ device();
}

std::uint64_t RandomIds::next() noexcept {
  std::uint64_t value = seed_ + (++counter_) * 0x9E3779B97F4A7C15ull;
  value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9ull;
  value = (value ^ (value >> 27)) * 0x94D049BB133111EBull;
  return value ^ (value >> 31);
}

void RandomIds::appendHex(std::string& out, std::uint64_t value) const {
  static constexpr char kHex[] = "0123456789abcdef";
  char digits[16];
  for (int i = 15; i >= 0; --i) {
    digits[i] = kHex[value & 0xf];
    value >>= 4;
  }
  out.append(digits, sizeof digits);
}

std::string RandomIds::tag() {
  std::string out;
  appendHex(out, next());
  return out;
}

std::string RandomIds::callId() {
  // 128 bits: unique without a host part (8.1.1.4 recommends, does not require, one).
  std::string out;
  out.reserve(32);
  appendHex(out, next());
  appendHex(out, next());
  return out;
}

std::string RandomIds::branch() {
  std::string out = "z9hG4bK";
  appendHex(out, next());
  return out;
}

}  // namespace sipha::core
