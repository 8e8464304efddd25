#pragma once
// The plain values a Call consumes: which leg, which server/client transaction, which timer, the
// routing decision (a list of targets from the routing layer) and the per-node settings.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sip/method.hpp"

namespace sipha::b2bua {

using Duration = std::chrono::milliseconds;

// Inbound: sipd is the UAS (the caller's dialog). Outbound: sipd is the UAC (the callee's).
// Transfer: the third dialog of a transfer sipd performs with re-INVITE (docs/b2bua.md
// "Transfers"): the new UAC dialog toward the transfer target while it is set up, and, after the
// swap, the transferor's old dialog while it is released. The two linked legs are always Inbound
// and Outbound (a UAC dialog may sit in the Inbound slot after a transfer).
enum class LegId : std::uint8_t { Inbound = 0, Outbound = 1, Transfer = 2 };
inline constexpr std::size_t kLegSlots = 3;

// The linked leg of Inbound / Outbound (never asked for Transfer).
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
inline constexpr std::size_t kTimerKinds = 4;

struct TimerId {
  TimerKind kind = TimerKind::Retransmit2xx;
  LegId leg = LegId::Inbound;
  friend bool operator==(const TimerId&, const TimerId&) = default;
};

// Transfer options of the DN behind a leg (reference DN tables: refer-enabled,
// blind-transfer-enabled), resolved by the integrator (docs/b2bua.md "Transfers").
struct TransferPolicy {
  // refer-enabled of this leg's DN: false -> a transfer toward this party is done by sipd with
  // re-INVITE instead of relaying the REFER.
  bool referEnabled = true;
  // blind-transfer-enabled for this party as transferor: its VoIP Service DN's value if it has
  // one, else [TServer]'s.
  bool blindTransferEnabled = false;
};

// One place to send the outbound INVITE to, from the routing layer (registered contact, trunk
// contact, softswitch ...). Consecutive targets with the same `group` are forked in parallel;
// groups are tried in order (docs/b2bua.md "Forking").
struct Target {
  std::string requestUri;         // Request-URI of the outbound INVITE
  std::string nextHop;            // where to send it (URI to resolve); empty: the Request-URI
  std::string transport = "UDP";  // Via transport of the outbound leg
  std::string toUri;              // To of the outbound INVITE; empty: the inbound To
  Duration noAnswerTimeout{0};    // 0: none (the caller's CANCEL or the callee ends ringing)
  // The connection a registered phone registered over ("tcp:1.2.3.4:5060#7"); copied into every
  // SendRequest of the leg while this target is its peer. Empty: resolve nextHop.
  std::string flow;
  TransferPolicy transfer;  // of the target's DN
  // An attended transfer's target: the Replaces value (RFC 3891) naming the target's dialog
  // that the new one replaces; sent in the INVITE. Empty otherwise.
  std::string replaces;
  // routing::Attempt::group: equal values in a row form one group, its INVITEs sent at once.
  // kOwnGroup (the default): a group of its own, tried after the previous one.
  static constexpr std::uint32_t kOwnGroup = 0xffffffffu;
  std::uint32_t group = kOwnGroup;
  // RFC 3261 16.6/16.7 search (registered contacts): any failure below 600 moves on to the next
  // group. False (trunks, softswitches): only 408, 5xx and timeouts fail over; a 3xx/4xx ends
  // the search once its group is over.
  bool huntOnFailure = false;
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

// How sipd names itself on one transport: the sent-by of its Via (RFC 3261 18.1.1: the port of
// the transport the request travels on) and the Contact of its dialogs (12.1.1: the remote
// target the peer sends its in-dialog requests to, which must say the transport and port).
struct LocalAddress {
  std::string viaSentBy;  // "host:port"
  std::string contact;    // "<sip:host:port;transport=tcp>"
};

// Per-node settings, shared by every call (the Call keeps a reference).
struct CallConfig {
  LocalAddress udp{"127.0.0.1:5060", "<sip:127.0.0.1:5060>"};
  LocalAddress tcp{"127.0.0.1:5060", "<sip:127.0.0.1:5060;transport=tcp>"};
  LocalAddress tls{"127.0.0.1:5061", "<sip:127.0.0.1:5061;transport=tls>"};
  // 12.1.1: a dialog set up with a SIPS URI gets a SIPS Contact.
  std::string secureContact = "<sips:127.0.0.1:5061>";
  // Sets all four from sip-address (a host, IPv6 in brackets) and the two ports.
  void setLocal(const std::string& host, std::uint16_t port, std::uint16_t tlsPort);
  // The address of the Via transport "UDP" / "TCP" / "TLS" (any case); UDP's for others.
  const LocalAddress& local(std::string_view transport) const noexcept;
  const std::string& viaSentBy(std::string_view transport) const noexcept {
    return local(transport).viaSentBy;
  }
  const std::string& contact(std::string_view transport, bool secure) const noexcept {
    return secure ? secureContact : local(transport).contact;
  }
  Duration t1{500};
  Duration t2{4000};
  std::uint32_t defaultMaxForwards = 70;  // when the inbound request has none
  // Requests of one leg relayed and not yet answered: beyond, 500 + Retry-After (a peer must not
  // make the call allocate without bound).
  std::size_t maxPendingPerLeg = 16;
  // A transfer target that rings this long without a Target::noAnswerTimeout of its own is
  // cancelled (the INVITE transaction has no timer once a provisional arrived).
  Duration transferNoAnswer{60000};
};

// What the integrator knows about the initial INVITE beyond its bytes.
struct InboundContext {
  ServerRef server = 0;
  std::string transport = "UDP";  // Via transport toward the caller
  bool overTls = false;           // with a sips Request-URI: the dialog is secure (12.1.1)
  // The stream connection the INVITE came on ("tls:1.2.3.4:50123#7", transport::formatPeer):
  // the caller leg's requests go back on it (a phone accepts no inbound TLS and often no inbound
  // TCP; RFC 3261 18, RFC 5626 3.3). Empty over UDP.
  std::string flow;
  TransferPolicy transfer;  // of the DN the caller is known as
};

}  // namespace sipha::b2bua
