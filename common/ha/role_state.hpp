#pragma once
// A node's role in the pair and the epoch that fences it (DESIGN.md "Hot standby"): sipd starts
// as backup (the reference: "SIP Server always starts in backup mode") and changes role only by
// SetRole with an epoch not lower than the current one, so a stale promoter is refused.
#include <cstdint>

#include "common/ha/role.hpp"

namespace sipha::common {

class RoleState {
 public:
  enum class Change { Applied, Unchanged, StaleEpoch };

  explicit RoleState(Role initial) : role_(initial) {}

  Change set(Role role, std::uint64_t epoch) {
    if (epoch < epoch_) return Change::StaleEpoch;
    const bool same = role == role_ && epoch == epoch_;
    role_ = role;
    epoch_ = epoch;
    return same ? Change::Unchanged : Change::Applied;
  }

  Role role() const { return role_; }
  std::uint64_t epoch() const { return epoch_; }
  bool primary() const { return role_ == Role::Primary; }

 private:
  Role role_;
  std::uint64_t epoch_ = 0;
};

}  // namespace sipha::common
