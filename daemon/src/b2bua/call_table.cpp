#include "b2bua/call_table.hpp"

#include <array>

namespace sipha::b2bua {

std::string CallTable::peerKey(std::string_view callId, std::string_view peerTag) {
  std::string key;
  key.reserve(callId.size() + peerTag.size() + 1);
  key.append(callId).push_back('\n');  // '\n' cannot occur in a Call-ID or tag
  key.append(peerTag);
  return key;
}

const CallTable::Ref* CallTable::findPeer(std::string_view callId,
                                          std::string_view peerTag) const noexcept {
  // Built on the stack: a lookup does not allocate (Call-ID and tag are bounded by the parser's
  // message size, longer ones cannot be ours and miss).
  std::array<char, 512> buffer;
  if (callId.size() + peerTag.size() + 1 > buffer.size()) return nullptr;
  std::size_t n = 0;
  for (char c : callId) buffer[n++] = c;
  buffer[n++] = '\n';
  for (char c : peerTag) buffer[n++] = c;
  auto it = byPeer_.find(std::string_view(buffer.data(), n));
  return it == byPeer_.end() ? nullptr : &it->second;
}

CallTable::Match CallTable::find(const sip::Message& message) const noexcept {
  std::string_view callId = message.callId();
  // Requests from a peer carry its tag in From; responses to our requests in To.
  std::string_view peerTag = message.isRequest() ? message.from().tag : message.to().tag;
  std::string_view ourTag = message.isRequest() ? message.to().tag : message.from().tag;
  auto ours = byOurs_.find(callId);
  if (ours != byOurs_.end()) {
    const Dialog& d = ours->second.call->dialog(ours->second.leg);
    if (ourTag.empty() || ourTag == d.localTag) return {ours->second.call, ours->second.leg};
  }
  if (const Ref* peer = findPeer(callId, peerTag)) return {peer->call, peer->leg};
  return {};
}

CallTable::Match CallTable::findDialog(std::string_view callId, std::string_view localTag,
                                       std::string_view remoteTag) const noexcept {
  Match match;
  if (auto ours = byOurs_.find(callId); ours != byOurs_.end()) {
    match = {ours->second.call, ours->second.leg};
  } else if (const Ref* peer = findPeer(callId, remoteTag)) {
    match = {peer->call, peer->leg};
  } else {
    return {};
  }
  const Dialog& d = match.call->dialog(match.leg);
  if (d.localTag != localTag || d.remoteTag != remoteTag) return {};
  return match;
}

std::vector<CallTable::Key> CallTable::keysOf(const Call& call) const {
  scratch_.clear();
  call.tableKeys(scratch_);
  std::vector<Key> keys;
  keys.reserve(scratch_.size());
  for (const Call::TableKey& key : scratch_) {
    if (key.ours) {
      keys.push_back(Key{true, std::string(key.callId)});
    } else {
      keys.push_back(Key{false, peerKey(key.callId, key.peerTag)});
    }
  }
  return keys;
}

Call* CallTable::insert(std::unique_ptr<Call> call) {
  if (!call || call->ended() || full()) return nullptr;
  std::vector<Key> keys = keysOf(*call);
  for (const Key& key : keys) {
    const Index& index = key.ours ? byOurs_ : byPeer_;
    if (index.contains(std::string_view(key.text))) return nullptr;
  }
  Call* raw = call.get();
  scratch_.clear();
  raw->tableKeys(scratch_);
  for (std::size_t i = 0; i < keys.size(); ++i) {
    Index& index = keys[i].ours ? byOurs_ : byPeer_;
    index.emplace(keys[i].text, Ref{raw, scratch_[i].leg});
  }
  owned_.emplace(raw, Entry{std::move(call), std::move(keys)});
  return raw;
}

void CallTable::unindex(const Call* call, const std::vector<Key>& keys) {
  for (const Key& key : keys) {
    Index& index = key.ours ? byOurs_ : byPeer_;
    auto it = index.find(std::string_view(key.text));
    if (it != index.end() && it->second.call == call) index.erase(it);
  }
}

bool CallTable::refresh(const Call* call) {
  auto it = owned_.find(call);
  if (it == owned_.end()) return false;
  Call* raw = it->second.call.get();
  unindex(call, it->second.keys);
  std::vector<Key> keys = keysOf(*raw);
  scratch_.clear();
  raw->tableKeys(scratch_);
  bool clean = true;
  std::vector<Key> kept;
  kept.reserve(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    Index& index = keys[i].ours ? byOurs_ : byPeer_;
    if (!index.emplace(keys[i].text, Ref{raw, scratch_[i].leg}).second) {
      clean = false;  // another call's key (or a duplicate of this call's): not ours to take
      continue;
    }
    kept.push_back(std::move(keys[i]));
  }
  it->second.keys = std::move(kept);
  return clean;
}

void CallTable::erase(const Call* call) {
  auto it = owned_.find(call);
  if (it == owned_.end()) return;
  unindex(call, it->second.keys);
  owned_.erase(it);
}

}  // namespace sipha::b2bua
