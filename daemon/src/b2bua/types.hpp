#pragma once
// The plain values a Call consumes: which leg, which server/client transaction, which timer, the
// routing decision (a list of targets from the routing layer) and the per-node settings.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "sip/method.hpp"

namespace sipha::b2bua {

using Duration = std::chrono::milliseconds;

// Inbound: sipd is the UAS (the caller's dialog). Outbound: sipd is the UAC (the callee's).
enum class LegId : std::uint8_t { Inbound = 0, Outbound = 1 };

constexpr LegId otherLeg(LegId leg) noexcept {
  return leg == LegId::Inbound ? LegId::Outbound : LegId::Inbound;
}
constexpr std::size_t legIndex(LegId leg) noexcept { return static_cast<std::size_t>(leg); }

// The integrator's handle of a server transaction (for example its pointer or a table index).
// The Call never interprets it; it only hands it back in SendResponse actions.
using ServerRef = std::uint64_t;

// Identifies a client transaction the Call started: handed out in SendRequest, given back in
// Call::onClientTimeout. Responses are matched on their CSeq (number and method) within the leg.
struct ClientRef {
  LegId leg = LegId::Outbound;
  std::uint32_t cseq = 0;
  sip::Method method = sip::Method::Unknown;
  friend bool operator==(const ClientRef&, const ClientRef&) = default;
};

enum class TimerKind : std::uint8_t {
  Retransmit2xx,  // RFC 3261 13.3.1.4: re-send our 2xx until the ACK, T1 doubling to T2
  AckTimeout,     // 13.3.1.4: no ACK within 64*T1 -> confirm, then BYE
  NoAnswer,       // per-target ring timeout (Target::noAnswerTimeout)
  CancelGuard,    // 64*T1 after our CANCEL without a final response: give the leg up
};

struct TimerId {
  TimerKind kind = TimerKind::Retransmit2xx;
  LegId leg = LegId::Inbound;
  friend bool operator==(const TimerId&, const TimerId&) = default;
};

// One place to send the outbound INVITE to, from the routing layer (registered contact, trunk
// contact, softswitch ...), tried in order.
struct Target {
  std::string requestUri;         // Request-URI of the outbound INVITE
  std::string nextHop;            // where to send it (URI to resolve); empty: the Request-URI
  std::string transport = "UDP";  // Via transport of the outbound leg
  std::string toUri;              // To of the outbound INVITE; empty: the inbound To
  Duration noAnswerTimeout{0};    // 0: none (the caller's CANCEL or the callee ends ringing)
};

struct RouteDecision {
  std::vector<Target> targets;
  // Answered upstream when `targets` is empty (404 unknown DN, 480 not registered ...).
  std::uint16_t failureStatus = 480;
  std::string failureReason = "Temporarily Unavailable";
  // Retry-After (seconds) of a 503 that routing decided itself (every trunk / softswitch contact
  // out of service): the caller may retry elsewhere or later (RFC 3261 21.5.4, 20.33).
  std::uint32_t retryAfterSeconds = 30;
};

// Per-node settings, shared by every call (the Call keeps a reference).
struct CallConfig {
  std::string viaSentBy = "127.0.0.1:5060";      // sip-address[:sip-port] for our Via
  std::string contact = "<sip:127.0.0.1:5060>";  // our Contact header value (sip-address)
  Duration t1{500};
  Duration t2{4000};
  std::uint32_t defaultMaxForwards = 70;  // when the inbound request has none
  // Requests of one leg relayed and not yet answered: beyond, 500 + Retry-After (a peer must not
  // make the call allocate without bound).
  std::size_t maxPendingPerLeg = 16;
};

// What the integrator knows about the initial INVITE beyond its bytes.
struct InboundContext {
  ServerRef server = 0;
  std::string transport = "UDP";  // Via transport toward the caller
  bool overTls = false;           // with a sips Request-URI: the dialog is secure (12.1.1)
};

}  // namespace sipha::b2bua
