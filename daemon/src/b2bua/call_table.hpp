#pragma once
// The calls of one sipd and how a received message finds its call and leg (RFC 3261 12: a
// dialog is Call-ID + local tag + remote tag). A Call-ID we chose (the outbound leg, a transfer's
// new leg) is unique, so it alone is the key; a peer's Call-ID is paired with the peer's tag. The
// keys come from Call::tableKeys and change when a transfer moves dialogs (refresh()).
// Bounded: a full table refuses new calls (the integrator answers 503).
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "b2bua/call.hpp"
#include "sip/message.hpp"

namespace sipha::b2bua {

class CallTable {
 public:
  explicit CallTable(std::size_t maxCalls) : maxCalls_(maxCalls) {}

  struct Match {
    Call* call = nullptr;
    LegId leg = LegId::Inbound;
  };

  // The call and leg of a request (the peer's tag is its From tag) or of a response to one of
  // our requests (the peer's tag is its To tag). A CANCEL or a retransmitted INVITE of the
  // caller (no To tag yet) is found too. No allocation.
  Match find(const sip::Message& message) const noexcept;
  // The call and leg of a dialog named by its identifiers as sipd holds them (RFC 3891
  // Replaces: Call-ID, our tag, the peer's tag); none when no leg has exactly these.
  Match findDialog(std::string_view callId, std::string_view localTag,
                   std::string_view remoteTag) const noexcept;

  // Takes a started (or restored) call that has not ended; nullptr when the table is full or a
  // call with the same keys exists (the call is then destroyed).
  Call* insert(std::unique_ptr<Call> call);
  void erase(const Call* call);
  // Re-reads the call's keys after a KeysChanged action (a transfer created or swapped a leg).
  // False when a new key belongs to another call already (that key is then not indexed).
  bool refresh(const Call* call);

  std::size_t size() const noexcept { return owned_.size(); }
  bool full() const noexcept { return size() >= maxCalls_; }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const noexcept {
      return std::hash<std::string_view>{}(key);
    }
  };
  struct Equal {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const noexcept { return a == b; }
  };
  struct Ref {
    Call* call = nullptr;
    LegId leg = LegId::Inbound;
  };
  using Index = std::unordered_map<std::string, Ref, Hash, Equal>;
  struct Key {
    bool ours = false;  // in byOurs_ (Call-ID alone), else byPeer_
    std::string text;
  };
  struct Entry {
    std::unique_ptr<Call> call;
    std::vector<Key> keys;
  };

  static std::string peerKey(std::string_view callId, std::string_view peerTag);
  const Ref* findPeer(std::string_view callId, std::string_view peerTag) const noexcept;
  std::vector<Key> keysOf(const Call& call) const;
  void unindex(const Call* call, const std::vector<Key>& keys);

  std::size_t maxCalls_;
  std::unordered_map<const Call*, Entry> owned_;
  Index byOurs_;  // a Call-ID sipd chose
  Index byPeer_;  // a peer's Call-ID + '\n' + its tag
  mutable std::vector<Call::TableKey> scratch_;
};

}  // namespace sipha::b2bua
