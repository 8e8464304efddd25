#include "sdp/rewrite.hpp"

#include <optional>

namespace sipha::sdp {
namespace {

enum class LineAction : std::uint8_t { Copy, Drop, Replace };

struct Plan {
  std::vector<LineAction> action;
  std::vector<std::string> replacement;       // by line, when Replace
  std::vector<std::string> insertConnection;  // by media: a c= value to add, or empty
  std::vector<std::string> insertDirection;   // by media: an a= value to add, or empty
};

std::string connectionValue(const Connection& c, std::string_view addrType,
                            std::string_view address) {
  std::string v;
  v.append(c.netType.empty() ? std::string_view("IN") : c.netType);
  v += ' ';
  v.append(addrType);
  v += ' ';
  v.append(address);
  return v;
}

const MediaRewrite* editFor(const SdpRewrite& edits, std::size_t m) {
  return m < edits.media.size() ? &edits.media[m] : nullptr;
}

void planDirections(const SessionDescription& sdp, const SdpRewrite& edits, Plan& plan) {
  // The direction each stream must end with.
  std::vector<Direction> desired(sdp.media.size());
  for (std::size_t m = 0; m < sdp.media.size(); ++m) {
    const auto* e = editFor(edits, m);
    desired[m] = (e && e->direction) ? *e->direction : sdp.effectiveDirection(m);
  }
  // A session-level attribute stays only while every stream inheriting it still wants it.
  bool keepSession = sdp.direction.has_value();
  for (std::size_t m = 0; keepSession && m < sdp.media.size(); ++m) {
    if (!sdp.media[m].direction && desired[m] != *sdp.direction) keepSession = false;
  }
  if (sdp.direction && !keepSession) plan.action[sdp.directionLine] = LineAction::Drop;
  const Direction inherited = keepSession ? *sdp.direction : Direction::SendRecv;
  for (std::size_t m = 0; m < sdp.media.size(); ++m) {
    const auto& media = sdp.media[m];
    if (media.direction) {
      if (*media.direction == desired[m]) continue;
      if (desired[m] == inherited) {
        plan.action[media.directionLine] = LineAction::Drop;
      } else {
        plan.action[media.directionLine] = LineAction::Replace;
        plan.replacement[media.directionLine] = std::string(directionName(desired[m]));
      }
    } else if (desired[m] != inherited) {
      plan.insertDirection[m] = std::string(directionName(desired[m]));
    }
  }
}

// The address a stream should end with: the edit's, else what it has now (empty: none).
struct AddressTarget {
  std::string_view addrType;
  std::string_view address;
  bool operator==(const AddressTarget&) const = default;
};

AddressTarget targetFor(const MediaRewrite* e, const Connection* current) {
  if (e && !e->address.empty()) {
    const auto type = !e->addrType.empty() ? std::string_view(e->addrType)
                      : current            ? current->addrType
                                           : std::string_view("IP4");
    return {type, e->address};
  }
  return current ? AddressTarget{current->addrType, current->address} : AddressTarget{};
}

void planConnections(const SessionDescription& sdp, const SdpRewrite& edits, Plan& plan) {
  const Connection* session = sdp.connection ? &*sdp.connection : nullptr;
  const AddressTarget sessionNow = targetFor(nullptr, session);
  // Streams without their own c= share the session one: rewrite it when they all agree.
  std::optional<AddressTarget> shared;
  bool agree = session != nullptr;
  for (std::size_t m = 0; m < sdp.media.size(); ++m) {
    if (sdp.media[m].connection) continue;
    const auto target = targetFor(editFor(edits, m), session);
    if (shared && !(*shared == target)) agree = false;
    if (!shared) shared = target;
  }
  const bool rewriteSession = agree && shared && !(*shared == sessionNow);
  if (rewriteSession) {
    plan.action[session->line] = LineAction::Replace;
    plan.replacement[session->line] = connectionValue(*session, shared->addrType, shared->address);
  }
  for (std::size_t m = 0; m < sdp.media.size(); ++m) {
    const auto& media = sdp.media[m];
    const auto* e = editFor(edits, m);
    if (media.connection) {
      const auto target = targetFor(e, &*media.connection);
      if (target == targetFor(nullptr, &*media.connection)) continue;
      plan.action[media.connection->line] = LineAction::Replace;
      plan.replacement[media.connection->line] =
          connectionValue(*media.connection, target.addrType, target.address);
    } else if (!rewriteSession) {
      const auto target = targetFor(e, session);
      if (target == sessionNow || target.address.empty()) continue;
      plan.insertConnection[m] = connectionValue(Connection{}, target.addrType, target.address);
    }
  }
}

void appendLine(std::string& out, char type, std::string_view value, std::string_view eol) {
  out += type;
  out += '=';
  out.append(value);
  out.append(eol);
}

}  // namespace

bool SdpRewrite::empty() const noexcept {
  if (origin) return false;
  for (const auto& m : media) {
    if (m.direction || !m.address.empty()) return false;
  }
  return true;
}

std::string rewrite(const SessionDescription& sdp, const SdpRewrite& edits) {
  const auto n = sdp.lines.size();
  Plan plan{std::vector<LineAction>(n, LineAction::Copy), std::vector<std::string>(n),
            std::vector<std::string>(sdp.media.size()), std::vector<std::string>(sdp.media.size())};
  if (edits.origin && sdp.origin.line != kNoLine) {
    plan.action[sdp.origin.line] = LineAction::Replace;
    plan.replacement[sdp.origin.line] = *edits.origin;
  }
  planDirections(sdp, edits, plan);
  planConnections(sdp, edits, plan);

  std::size_t size = 64;
  for (const auto& line : sdp.lines) size += line.value.size() + 4;
  std::string out;
  out.reserve(size);
  const auto eol = sdp.lineEnding;
  std::size_t media = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const auto& line = sdp.lines[i];
    if (plan.action[i] == LineAction::Replace) {
      appendLine(out, line.type, plan.replacement[i], eol);
    } else if (plan.action[i] == LineAction::Copy) {
      appendLine(out, line.type, line.value, eol);
    }
    if (media < sdp.media.size() && i >= sdp.media[media].firstLine) {
      const auto& section = sdp.media[media];
      // c= goes after the m= line and its i= line (RFC 4566 5: m, i, c, b, k, a).
      const bool nextIsTitle = i + 1 < section.endLine && sdp.lines[i + 1].type == 'i';
      if (!plan.insertConnection[media].empty() && !nextIsTitle &&
          (i == section.firstLine || (line.type == 'i' && i == section.firstLine + 1))) {
        appendLine(out, 'c', plan.insertConnection[media], eol);
      }
      if (i + 1 == section.endLine) {
        if (!plan.insertDirection[media].empty()) {
          appendLine(out, 'a', plan.insertDirection[media], eol);
        }
        ++media;
      }
    }
  }
  return out;
}

}  // namespace sipha::sdp
