#pragma once
// RFC 3261 16.7 step 6, as the B2BUA applies it across the targets (and fork branches) of one
// outbound search: of the final failures received, the lowest class wins, the first one of
// that class. Used by the initial INVITE and by a transfer's search.
#include <cstdint>
#include <string>
#include <string_view>

namespace sipha::b2bua {

struct BestResponse {
  std::uint16_t status = 0;  // 0: no failure yet
  std::string reason;

  // Whether a failure with `candidate` would replace the best so far.
  bool beatenBy(std::uint16_t candidate) const noexcept {
    return status == 0 || candidate / 100 < status / 100;
  }
  // Keeps `candidate` if it is better; true when it did.
  bool offer(std::uint16_t candidate, std::string_view candidateReason) {
    if (!beatenBy(candidate)) return false;
    status = candidate;
    reason.assign(candidateReason);
    return true;
  }
  // The status to answer with when the search ends: 480 when nothing answered at all.
  std::uint16_t statusOr480() const noexcept { return status ? status : 480; }
  std::string_view reasonOr480() const noexcept {
    return status ? std::string_view(reason) : "Temporarily Unavailable";
  }
};

}  // namespace sipha::b2bua
