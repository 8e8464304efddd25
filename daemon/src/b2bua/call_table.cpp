#include "b2bua/call_table.hpp"

#include <array>

namespace sipha::b2bua {

std::string CallTable::inboundKey(std::string_view callId, std::string_view callerTag) {
  std::string key;
  key.reserve(callId.size() + callerTag.size() + 1);
  key.append(callId).push_back('\n');  // '\n' cannot occur in a Call-ID or tag
  key.append(callerTag);
  return key;
}

Call* CallTable::findInbound(std::string_view callId, std::string_view callerTag) const noexcept {
  // Built on the stack: a lookup does not allocate (Call-ID and tag are bounded by the parser's
  // message size, longer ones cannot be ours and miss).
  std::array<char, 512> buffer;
  if (callId.size() + callerTag.size() + 1 > buffer.size()) return nullptr;
  std::size_t n = 0;
  for (char c : callId) buffer[n++] = c;
  buffer[n++] = '\n';
  for (char c : callerTag) buffer[n++] = c;
  auto it = byInbound_.find(std::string_view(buffer.data(), n));
  return it == byInbound_.end() ? nullptr : it->second;
}

CallTable::Match CallTable::find(const sip::Message& message) const noexcept {
  std::string_view callId = message.callId();
  // Requests from a peer carry its tag in From; responses to our requests in To.
  std::string_view peerTag = message.isRequest() ? message.from().tag : message.to().tag;
  std::string_view ourTag = message.isRequest() ? message.to().tag : message.from().tag;
  auto out = byOutbound_.find(callId);
  if (out != byOutbound_.end()) {
    const Dialog& d = out->second->dialog(LegId::Outbound);
    if (ourTag.empty() || ourTag == d.localTag) return {out->second, LegId::Outbound};
  }
  Call* in = findInbound(callId, peerTag);
  if (in) return {in, LegId::Inbound};
  return {};
}

Call* CallTable::insert(std::unique_ptr<Call> call) {
  if (!call || call->ended() || full()) return nullptr;
  const Dialog& in = call->dialog(LegId::Inbound);
  const Dialog& out = call->dialog(LegId::Outbound);
  std::string inKey = inboundKey(in.callId, in.remoteTag);
  if (byOutbound_.contains(std::string_view(out.callId)) ||
      byInbound_.contains(std::string_view(inKey))) {
    return nullptr;
  }
  Call* raw = call.get();
  byOutbound_.emplace(out.callId, raw);
  byInbound_.emplace(std::move(inKey), raw);
  owned_.emplace(raw, std::move(call));
  return raw;
}

void CallTable::erase(const Call* call) {
  auto it = owned_.find(call);
  if (it == owned_.end()) return;
  const Dialog& in = call->dialog(LegId::Inbound);
  byOutbound_.erase(call->dialog(LegId::Outbound).callId);
  byInbound_.erase(inboundKey(in.callId, in.remoteTag));
  owned_.erase(it);
}

}  // namespace sipha::b2bua
