#pragma once
// Offer/answer bookkeeping for one dialog (one leg of a call), as a pure state machine: which
// side has an offer outstanding and which INVITE transaction is open, so that the B2BUA knows
// whether a body is an offer or an answer and when a request collides (glare).
//   RFC 3261 13.2.1  offer in INVITE -> answer in reliable 1xx / 2xx; offerless INVITE -> offer
//                    in the first reliable response, answer in PRACK / ACK
//   RFC 3261 14.1    no new INVITE while one is in progress in either direction
//   RFC 3261 14.2    re-INVITE received while ours is open -> 491; while theirs is open -> 500
//   RFC 3262 5       PRACK answers an offer in a reliable 1xx, or carries a new offer
//   RFC 3311 5.1/5.2 UPDATE offer while we await an answer -> 491; while we owe one -> 500
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sipha::sdp {

enum class OaEvent : std::uint8_t {
  Invite,               // INVITE or re-INVITE request
  ReliableProvisional,  // 101-199 sent with 100rel (RFC 3262); unreliable 1xx are not events
  InviteSuccess,        // 2xx to the INVITE
  InviteFailure,        // 300-699 to the INVITE (the offer it carried is rejected)
  Ack,                  // ACK for a 2xx (an ACK that never comes: record Received Ack, no SDP)
  Prack,
  PrackSuccess,
  PrackFailure,
  Update,
  UpdateSuccess,
  UpdateFailure,
};

enum class Flow : std::uint8_t { Sent, Received };  // sent by sipd on this leg, or received

enum class Side : std::uint8_t { None, Local, Remote };  // Local: sipd on this leg

enum class BodyRole : std::uint8_t {
  None,  // no SDP
  Offer,
  Answer,
  Ignored,  // SDP where none is expected (a repeat of the answer, a stray ACK body): not used
};

enum class OaVerdict : std::uint8_t {
  Ok,
  Glare491,    // received: answer 491; sent: do not send now (answer 491 upstream or retry later)
  Retry500,    // received: answer 500 with Retry-After (RFC 3261 14.2, RFC 3311 5.2)
  MissingSdp,  // a message that had to carry the offer or answer did not; the offer is dropped
};

struct OaOutcome {
  OaVerdict verdict = OaVerdict::Ok;
  BodyRole role = BodyRole::None;
};

class OfferAnswer {
 public:
  // What apply() would decide, without changing anything.
  OaOutcome check(Flow flow, OaEvent event, bool hasSdp) const;
  // Records a message sent or received on this leg. A request refused with Glare491 / Retry500
  // leaves the state unchanged; responses and ACKs cannot be refused and always update it.
  OaOutcome apply(Flow flow, OaEvent event, bool hasSdp);

  bool offerPending() const noexcept { return state_.offerOwner != Side::None; }
  Side offerOwner() const noexcept { return state_.offerOwner; }
  std::optional<OaEvent> offerCarrier() const noexcept;
  Side inviteOwner() const noexcept { return state_.inviteOwner; }
  bool awaitingAck() const noexcept { return state_.inviteAccepted; }
  bool established() const noexcept { return state_.established; }  // one exchange completed

  std::string serialize() const;  // "oa1 <8 digits>"
  static std::optional<OfferAnswer> deserialize(std::string_view text);

  bool operator==(const OfferAnswer&) const = default;

 private:
  struct State {
    Side offerOwner = Side::None;
    OaEvent offerCarrier = OaEvent::Invite;  // meaningful while offerOwner != None
    Side inviteOwner = Side::None;           // whose INVITE transaction is open (to its ACK)
    bool inviteOffered = false;              // that INVITE carried an offer
    bool inviteResponded = false;            // a response already carried its answer or offer
    bool inviteAccepted = false;             // 2xx seen, ACK not yet
    bool established = false;
    bool operator==(const State&) const = default;
  };

  static OaOutcome step(State& s, Flow flow, OaEvent event, bool hasSdp);

  State state_;
};

}  // namespace sipha::sdp
