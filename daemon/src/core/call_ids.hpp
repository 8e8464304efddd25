#pragma once
// The identifiers the B2BUA puts on its outbound legs (RFC 3261 19.3 tags, 8.1.1.4 Call-IDs,
// 8.1.1.7 branches): a per-process random seed mixed with a counter (splitmix64), in hex.
#include <cstdint>
#include <string>

#include "b2bua/ids.hpp"

namespace sipha::core {

class RandomIds final : public b2bua::IdSource {
 public:
  RandomIds();
  std::string tag() override;
  std::string callId() override;
  std::string branch() override;

 private:
  std::uint64_t next() noexcept;
  void appendHex(std::string& out, std::uint64_t value) const;

  std::uint64_t seed_;
  std::uint64_t counter_ = 0;
};

}  // namespace sipha::core
