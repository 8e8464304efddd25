#pragma once
// Loop detection for a proxy or B2BUA (RFC 3261 16.3 item 4, 8.2.2.2) and the branch format that
// makes it possible: our branches are "z9hG4bK" + node prefix + fingerprint + "." + unique, where
// the fingerprint is a hash of what decides the request's routing (16.6 item 8). A request that
// already carries a Via with our sent-by and one of our branches has passed through us before:
// with the same fingerprint it is a loop; with another it is a spiral (legal).
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace sipha::transaction {

struct ViaView {
  std::string_view sentBy;  // "host[:port]"
  std::string_view branch;
};

// `prefix` identifies this node's branches (without the magic cookie); `fingerprint` may be empty
// (then any Via of ours counts as a loop).
std::string makeBranch(std::string_view prefix, std::string_view fingerprint, std::uint64_t unique);

// True when one of `vias` has `ownSentBy` (host compared case-insensitively) and a branch we
// generated with the same `fingerprint` (any of ours when `fingerprint` is empty).
bool isLoop(std::span<const ViaView> vias, std::string_view ownSentBy, std::string_view prefix,
            std::string_view fingerprint) noexcept;

}  // namespace sipha::transaction
