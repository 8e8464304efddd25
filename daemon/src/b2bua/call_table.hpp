#pragma once
// The calls of one sipd and how a received message finds its call and leg (RFC 3261 12: a
// dialog is Call-ID + local tag + remote tag). The outbound leg's Call-ID is ours (random), so it
// alone is the key; the inbound Call-ID is the caller's, so it is paired with the caller's tag.
// Bounded: a full table refuses new calls (the integrator answers 503).
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

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

  // Takes a started (or restored) call that has not ended; nullptr when the table is full or a
  // call with the same keys exists (the call is then destroyed).
  Call* insert(std::unique_ptr<Call> call);
  void erase(const Call* call);

  std::size_t size() const noexcept { return byOutbound_.size(); }
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
  using Index = std::unordered_map<std::string, Call*, Hash, Equal>;

  static std::string inboundKey(std::string_view callId, std::string_view callerTag);
  Call* findInbound(std::string_view callId, std::string_view callerTag) const noexcept;

  std::size_t maxCalls_;
  std::unordered_map<const Call*, std::unique_ptr<Call>> owned_;
  Index byOutbound_;  // outbound Call-ID
  Index byInbound_;   // inbound Call-ID + '\n' + caller's tag
};

}  // namespace sipha::b2bua
