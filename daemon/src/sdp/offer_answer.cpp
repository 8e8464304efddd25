#include "sdp/offer_answer.hpp"

namespace sipha::sdp {
namespace {

constexpr Side other(Side s) noexcept {
  return s == Side::Local ? Side::Remote : s == Side::Remote ? Side::Local : Side::None;
}

// The side that sent the message (Sent: sipd on this leg).
constexpr Side sender(Flow f) noexcept { return f == Flow::Sent ? Side::Local : Side::Remote; }

// A colliding request: received ones are refused with 491 when sipd's own offer or INVITE is
// outstanding and 500 when the peer's is; a sent one is simply not allowed now.
OaOutcome collision(Flow flow, Side blocker) noexcept {
  if (flow == Flow::Sent || blocker == Side::Local) return {OaVerdict::Glare491, BodyRole::None};
  return {OaVerdict::Retry500, BodyRole::None};
}

}  // namespace

OaOutcome OfferAnswer::check(Flow flow, OaEvent event, bool hasSdp) const {
  State copy = state_;
  return step(copy, flow, event, hasSdp);
}

OaOutcome OfferAnswer::apply(Flow flow, OaEvent event, bool hasSdp) {
  State next = state_;
  const auto outcome = step(next, flow, event, hasSdp);
  if (outcome.verdict != OaVerdict::Glare491 && outcome.verdict != OaVerdict::Retry500) {
    state_ = next;
  }
  return outcome;
}

std::optional<OaEvent> OfferAnswer::offerCarrier() const noexcept {
  if (state_.offerOwner == Side::None) return std::nullopt;
  return state_.offerCarrier;
}

OaOutcome OfferAnswer::step(State& s, Flow flow, OaEvent event, bool hasSdp) {
  const Side from = sender(flow);
  auto answer = [&s]() {
    s.offerOwner = Side::None;
    s.established = true;
    return OaOutcome{OaVerdict::Ok, BodyRole::Answer};
  };
  auto offer = [&s](Side owner, OaEvent carrier) {
    s.offerOwner = owner;
    s.offerCarrier = carrier;
    return OaOutcome{OaVerdict::Ok, BodyRole::Offer};
  };
  auto dropOffer = [&s]() {
    s.offerOwner = Side::None;
    return OaOutcome{OaVerdict::MissingSdp, BodyRole::None};
  };
  const OaOutcome none{OaVerdict::Ok, hasSdp ? BodyRole::Ignored : BodyRole::None};

  switch (event) {
    case OaEvent::Invite: {
      // RFC 3261 14.1 / 14.2: one INVITE at a time per dialog, in either direction.
      if (s.inviteOwner != Side::None) return collision(flow, s.inviteOwner);
      if (s.offerOwner != Side::None) return collision(flow, s.offerOwner);
      s.inviteOwner = from;
      s.inviteOffered = hasSdp;
      s.inviteResponded = false;
      s.inviteAccepted = false;
      return hasSdp ? offer(from, OaEvent::Invite) : none;
    }
    case OaEvent::ReliableProvisional:
    case OaEvent::InviteSuccess: {
      // Responses travel opposite to the INVITE: a sent response answers the peer's INVITE.
      const Side inviter = other(from);
      if (s.inviteOwner != inviter || s.inviteAccepted) return none;
      const bool final = event == OaEvent::InviteSuccess;
      OaOutcome out = none;
      if (!s.inviteResponded) {
        if (hasSdp) {
          s.inviteResponded = true;
          // RFC 3261 13.2.1: the answer to the INVITE's offer, or the offer of an offerless one.
          out = s.inviteOffered ? answer() : offer(other(inviter), event);
        } else if (final) {
          // 13.2.1: the 2xx must carry the answer (or the offer); a missing one fails the offer.
          s.inviteResponded = true;
          out = s.inviteOffered ? dropOffer() : OaOutcome{OaVerdict::MissingSdp, BodyRole::None};
        }
      }
      if (final) s.inviteAccepted = true;
      return out;
    }
    case OaEvent::InviteFailure: {
      // A failure after a 2xx, or for an INVITE that is not open, is a stray (RFC 3261 17.1.1.2).
      if (s.inviteOwner != other(from) || s.inviteAccepted) return none;
      // The INVITE's offer, or an offer its reliable 1xx made, dies with it (RFC 3261 14.1).
      if (s.offerOwner != Side::None &&
          (s.offerCarrier == OaEvent::Invite || s.offerCarrier == OaEvent::ReliableProvisional)) {
        s.offerOwner = Side::None;
      }
      s.inviteOwner = Side::None;
      return none;
    }
    case OaEvent::Ack: {
      if (s.inviteOwner != from || !s.inviteAccepted) return none;  // stray ACK
      s.inviteOwner = Side::None;
      s.inviteAccepted = false;
      if (s.offerOwner == other(from) && s.offerCarrier == OaEvent::InviteSuccess) {
        return hasSdp ? answer() : dropOffer();  // RFC 3261 13.2.1: the answer is in the ACK
      }
      return none;
    }
    case OaEvent::Prack: {
      if (s.offerOwner == other(from) && s.offerCarrier == OaEvent::ReliableProvisional) {
        return hasSdp ? answer() : dropOffer();  // RFC 3262 5: the answer is in the PRACK
      }
      if (!hasSdp) return none;
      if (s.offerOwner != Side::None) return collision(flow, s.offerOwner);
      return offer(from, OaEvent::Prack);
    }
    case OaEvent::Update: {
      if (!hasSdp) return none;
      // RFC 3311 5.1 / 5.2: no new offer while one is outstanding in either direction, nor
      // while an offerless INVITE still waits for the offer of its response.
      if (s.offerOwner != Side::None) return collision(flow, s.offerOwner);
      if (s.inviteOwner != Side::None && !s.inviteOffered && !s.inviteResponded) {
        return collision(flow, Side::Remote);
      }
      return offer(from, OaEvent::Update);
    }
    case OaEvent::PrackSuccess:
    case OaEvent::UpdateSuccess: {
      const OaEvent carrier = event == OaEvent::PrackSuccess ? OaEvent::Prack : OaEvent::Update;
      // The response comes from the side that did not make the offer.
      if (s.offerOwner == other(from) && s.offerCarrier == carrier) {
        return hasSdp ? answer() : dropOffer();
      }
      return none;
    }
    case OaEvent::PrackFailure:
    case OaEvent::UpdateFailure: {
      const OaEvent carrier = event == OaEvent::PrackFailure ? OaEvent::Prack : OaEvent::Update;
      if (s.offerOwner == other(from) && s.offerCarrier == carrier) s.offerOwner = Side::None;
      return none;
    }
  }
  return none;
}

std::string OfferAnswer::serialize() const {
  const State& s = state_;
  std::string out = "oa1 ";
  out += char('0' + int(s.offerOwner));
  out += char('a' + int(s.offerCarrier));
  out += char('0' + int(s.inviteOwner));
  out += s.inviteOffered ? '1' : '0';
  out += s.inviteResponded ? '1' : '0';
  out += s.inviteAccepted ? '1' : '0';
  out += s.established ? '1' : '0';
  return out;
}

std::optional<OfferAnswer> OfferAnswer::deserialize(std::string_view text) {
  if (text.size() != 11 || text.substr(0, 4) != "oa1 ") return std::nullopt;
  const auto side = [](char c) -> std::optional<Side> {
    if (c < '0' || c > '2') return std::nullopt;
    return Side(c - '0');
  };
  const auto flag = [](char c) -> std::optional<bool> {
    if (c != '0' && c != '1') return std::nullopt;
    return c == '1';
  };
  const auto offerOwner = side(text[4]);
  const auto inviteOwner = side(text[6]);
  const char carrier = text[5];
  const auto offered = flag(text[7]);
  const auto responded = flag(text[8]);
  const auto accepted = flag(text[9]);
  const auto established = flag(text[10]);
  if (!offerOwner || !inviteOwner || carrier < 'a' || carrier > 'a' + int(OaEvent::UpdateFailure) ||
      !offered || !responded || !accepted || !established) {
    return std::nullopt;
  }
  if (*accepted && *inviteOwner == Side::None) return std::nullopt;  // never reached by step()
  OfferAnswer oa;
  oa.state_ =
      State{*offerOwner, OaEvent(carrier - 'a'), *inviteOwner, *offered, *responded, *accepted,
            *established};
  return oa;
}

}  // namespace sipha::sdp
