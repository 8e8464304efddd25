#include "b2bua/state_event.hpp"

#include <charconv>

namespace sipha::b2bua {
namespace {

constexpr std::string_view kVersion = "sipha-b2b/1";

void putField(std::string& out, std::string_view value) {
  char buffer[24];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, value.size());
  out.append(buffer, result.ptr);
  out.push_back(':');
  out.append(value);
  out.push_back(',');
}

void putNumber(std::string& out, std::uint64_t value) {
  char buffer[24];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  putField(out, std::string_view(buffer, static_cast<std::size_t>(result.ptr - buffer)));
}

// Optional numbers as "" (absent) or digits.
void putOptional(std::string& out, const std::optional<std::uint32_t>& value) {
  if (value) {
    putNumber(out, *value);
  } else {
    putField(out, {});
  }
}

class Reader {
 public:
  explicit Reader(std::string_view in) noexcept : rest_(in) {}

  std::optional<std::string_view> field() noexcept {
    std::size_t length = 0;
    auto result = std::from_chars(rest_.data(), rest_.data() + rest_.size(), length);
    if (result.ec != std::errc() || result.ptr == rest_.data()) return std::nullopt;
    std::size_t digits = static_cast<std::size_t>(result.ptr - rest_.data());
    if (digits > 6 || digits >= rest_.size() || rest_[digits] != ':') return std::nullopt;
    if (rest_.size() - digits - 1 < length + 1 || rest_[digits + 1 + length] != ',') {
      return std::nullopt;
    }
    std::string_view value = rest_.substr(digits + 1, length);
    rest_.remove_prefix(digits + 2 + length);
    return value;
  }

  bool string(std::string& out) {
    auto value = field();
    if (!value) return false;
    out.assign(*value);
    return true;
  }

  template <typename Number>
  bool number(Number& out) noexcept {
    auto value = field();
    if (!value || value->empty()) return false;
    auto result = std::from_chars(value->data(), value->data() + value->size(), out);
    return result.ec == std::errc() && result.ptr == value->data() + value->size();
  }

  bool optional(std::optional<std::uint32_t>& out) noexcept {
    auto value = field();
    if (!value) return false;
    if (value->empty()) {
      out.reset();
      return true;
    }
    std::uint32_t number = 0;
    auto result = std::from_chars(value->data(), value->data() + value->size(), number);
    if (result.ec != std::errc() || result.ptr != value->data() + value->size()) return false;
    out = number;
    return true;
  }

  bool done() const noexcept { return rest_.empty(); }

 private:
  std::string_view rest_;
};

}  // namespace

std::string serialize(const StateEvent& event) {
  const Dialog& d = event.dialog;
  std::string out;
  out.reserve(256 + d.callId.size() + d.localUri.size() + d.remoteUri.size() +
              d.remoteTarget.size() + d.localSdp.size() + d.remoteSdp.size());
  putField(out, kVersion);
  putNumber(out, event.sequence);
  putNumber(out, static_cast<std::uint8_t>(event.kind));
  putField(out, event.callKey);
  putNumber(out, legIndex(event.leg));
  putNumber(out, static_cast<std::uint8_t>(d.state));
  putField(out, d.callId);
  putField(out, d.localTag);
  putField(out, d.remoteTag);
  putField(out, d.localUri);
  putField(out, d.remoteUri);
  putField(out, d.remoteTarget);
  putOptional(out, d.localCseq);
  putOptional(out, d.remoteCseq);
  putNumber(out, d.secure ? 1 : 0);
  putField(out, d.transport);
  putField(out, d.localSdp);
  putField(out, d.remoteSdp);
  putNumber(out, d.routeSet.size());
  for (const std::string& route : d.routeSet) putField(out, route);
  return out;
}

std::optional<StateEvent> parseStateEvent(std::string_view bytes) {
  if (bytes.size() > kMaxEventBytes) return std::nullopt;
  Reader in(bytes);
  auto version = in.field();
  if (!version || *version != kVersion) return std::nullopt;
  StateEvent event;
  Dialog& d = event.dialog;
  unsigned kind = 0;
  unsigned leg = 0;
  unsigned state = 0;
  unsigned secure = 0;
  std::size_t routes = 0;
  if (!in.number(event.sequence) || !in.number(kind) || !in.string(event.callKey) ||
      !in.number(leg) || !in.number(state) || !in.string(d.callId) || !in.string(d.localTag) ||
      !in.string(d.remoteTag) || !in.string(d.localUri) || !in.string(d.remoteUri) ||
      !in.string(d.remoteTarget) || !in.optional(d.localCseq) || !in.optional(d.remoteCseq) ||
      !in.number(secure) || !in.string(d.transport) || !in.string(d.localSdp) ||
      !in.string(d.remoteSdp) || !in.number(routes)) {
    return std::nullopt;
  }
  if (kind < 1 || kind > 2 || leg > 1 || state > 3 || secure > 1 || routes > kMaxRouteSet) {
    return std::nullopt;
  }
  event.kind = static_cast<StateEventKind>(kind);
  event.leg = static_cast<LegId>(leg);
  d.state = static_cast<DialogState>(state);
  d.secure = secure == 1;
  d.routeSet.resize(routes);
  for (std::string& route : d.routeSet) {
    if (!in.string(route)) return std::nullopt;
  }
  if (!in.done()) return std::nullopt;
  return event;
}

CallReplica::ApplyResult CallReplica::apply(const StateEvent& event) {
  if (lastSequence_ == 0 && callKey_.empty()) {
    callKey_ = event.callKey;
  } else if (event.callKey != callKey_) {
    return ApplyResult::WrongCall;
  }
  // A fresh replica starts wherever the stream starts (a snapshot on connect); after that the
  // sequence must advance by one.
  if (lastSequence_ != 0) {
    if (event.sequence <= lastSequence_) return ApplyResult::Duplicate;
    if (event.sequence != lastSequence_ + 1) return ApplyResult::Gap;
  }
  lastSequence_ = event.sequence;
  if (event.kind == StateEventKind::CallEnded) {
    ended_ = true;
  } else {
    legs_[legIndex(event.leg)] = event.dialog;
    haveLeg_[legIndex(event.leg)] = true;
  }
  return ApplyResult::Applied;
}

}  // namespace sipha::b2bua
