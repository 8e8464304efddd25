#include "transaction/loop_detection.hpp"

#include <charconv>

#include "transaction/keys.hpp"
#include "transaction/messages.hpp"

namespace sipha::transaction {

std::string makeBranch(std::string_view prefix, std::string_view fingerprint,
                       std::uint64_t unique) {
  char digits[16];
  const auto end = std::to_chars(digits, digits + sizeof digits, unique, 16).ptr;
  std::string branch;
  branch.reserve(kMagicCookie.size() + prefix.size() + fingerprint.size() + 1 +
                 static_cast<std::size_t>(end - digits));
  branch.append(kMagicCookie).append(prefix).append(fingerprint).push_back('.');
  branch.append(digits, end);
  return branch;
}

bool isLoop(std::span<const ViaView> vias, std::string_view ownSentBy, std::string_view prefix,
            std::string_view fingerprint) noexcept {
  for (const ViaView& via : vias) {
    if (!equalNoCase(via.sentBy, ownSentBy)) continue;
    std::string_view branch = via.branch;
    if (!branch.starts_with(kMagicCookie)) continue;
    branch.remove_prefix(kMagicCookie.size());
    if (!branch.starts_with(prefix)) continue;
    branch.remove_prefix(prefix.size());
    if (fingerprint.empty()) return true;
    if (branch.starts_with(fingerprint) && branch.size() > fingerprint.size() &&
        branch[fingerprint.size()] == '.') {
      return true;
    }
  }
  return false;
}

}  // namespace sipha::transaction
