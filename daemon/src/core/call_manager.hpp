#pragma once
// The glue between the SIP core and the B2BUA (docs/calls.md, docs/b2bua.md "Wiring"): routes a
// new INVITE (sipha::routing over the configured DNs and the registrar's bindings) into a
// b2bua::Call, finds the call of every later request and response (b2bua::CallTable), and
// executes the actions a call returns: client transactions for its requests (TransactionLayer),
// responses on its server transactions, its timers on the TimerWheel, trunk health reports
// (routing::HealthMonitor, which also probes trunks with OPTIONS). Single-threaded.
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "b2bua/call_table.hpp"
#include "common/config/config.hpp"
#include "core/call_ids.hpp"
#include "core/call_sdp.hpp"
#include "core/core_counters.hpp"
#include "registrar/registrar.hpp"
#include "replication/record.hpp"
#include "replication/state_log.hpp"
#include "resolver/resolver.hpp"
#include "routing/health_monitor.hpp"
#include "routing/routing_table.hpp"
#include "routing/transfer_policy.hpp"
#include "sip/message.hpp"
#include "timer/timer_wheel.hpp"
#include "transaction/transaction_layer.hpp"

namespace sipha::core {

struct CallCounters {
  std::uint64_t started = 0;         // INVITEs that became calls
  std::uint64_t answered = 0;        // calls whose caller got a 2xx
  std::uint64_t failed = 0;          // calls ended with a final status >= 300
  std::uint64_t ended = 0;           // calls removed from the table
  std::uint64_t rejectedFull = 0;    // 503: the call table was full
  std::uint64_t unmatched = 0;       // in-dialog requests / responses of no call (481 / stray)
  std::uint64_t loops = 0;           // 482: one of our outbound INVITEs came back to us
  std::uint64_t targetFailures = 0;  // outbound attempts that failed (TargetFailed)
  std::uint64_t unresolved = 0;      // next hops that did not resolve (bad URI, DNS error)
  std::uint64_t dnsWaits = 0;        // requests queued while their next hop was resolved
  std::uint64_t lostServer = 0;      // a response for a server transaction already gone
  std::uint64_t probesSent = 0;      // OPTIONS probes (oos-check)
  std::uint64_t sdpErrors = 0;       // SDP bodies relayed unchanged: they did not parse
  std::uint64_t transfers = 0;       // transfers sipd performed with re-INVITE (REFER -> 202)
  std::uint64_t wrongTransport = 0;  // requests of a TLS dialog that came over UDP/TCP (403)
  std::uint64_t lateCancels = 0;     // CANCELs for provisionals after our INVITE timed out
  std::uint64_t lateAcks = 0;        // ACKs for failures after our INVITE timed out
};

// One trunk or softswitch contact as D-Bus GetTrunks() shows it: a(sssst).
struct TrunkRow {
  std::string dn;
  std::string contact;          // "sip:host:port;params"
  std::string state;            // "in-service" / "out-of-service"
  std::string reason;           // "configured", "answered", "no-answer", ...
  std::uint64_t sinceUsec = 0;  // CLOCK_REALTIME microseconds
};

// One call as D-Bus GetCalls() shows it: a(sssst).
struct CallRow {
  std::string callId;           // the caller's Call-ID
  std::string state;            // b2bua::callStateName
  std::string inbound;          // the caller (remote URI of the inbound leg)
  std::string outbound;         // the callee (remote URI of the outbound leg)
  std::uint64_t sinceUsec = 0;  // CLOCK_REALTIME microseconds when the INVITE arrived
};

class CallManager {
 public:
  using NowSeconds = std::function<std::int64_t()>;  // wall clock (registrar expiry)
  // The registrar (bindingsOf), or null while it is not open / disabled.
  using RegistrarSource = std::function<const registrar::Registrar*()>;

  CallManager(timer::TimerWheel& wheel, transaction::TransactionLayer& transactions,
              transaction::TransportSink& sink, CoreCounters& coreCounters, NowSeconds now,
              RegistrarSource registrar);
  ~CallManager();
  CallManager(const CallManager&) = delete;
  CallManager& operator=(const CallManager&) = delete;

  // (Re)builds the routing table from `config` (errors are logged once per load), reconciles
  // trunk health and updates the call settings (live calls see them at once).
  void configure(const common::Config& config);
  void setProbing(bool enabled) { health_.setProbing(enabled); }
  // Host names in next hops are resolved through `resolver` (RFC 3263, docs/dns.md); null:
  // literal addresses only. The resolver must outlive this manager.
  void setResolver(resolver::Resolver* resolver) noexcept { resolver_ = resolver; }

  enum class RequestResult : std::uint8_t {
    Handled,  // a call took it (and answers it)
    NotMine,  // no call: the core answers it as before (481 in a dialog, CANCEL 200/481 ...)
    Full,     // a new INVITE while the call table is full: the core answers 503
    Loop,     // our own outbound INVITE came back to us: the core answers 482
    // A request of a TLS dialog over another transport: the core answers 403.
    WrongTransport,
  };
  // A new server transaction for `request` (not OPTIONS/REGISTER); `request` is moved from
  // when Handled.
  RequestResult onRequest(std::unique_ptr<sip::Message>& request,
                          transaction::ServerTransaction& server, const transport::Peer& from);
  // An ACK the transaction layer passed up (AckForTu: for a 2xx).
  void onAck(std::unique_ptr<sip::Message>& ack, const transport::Peer& from);
  // A response the transaction layer passed up (PassToTu, with its client transaction) or did
  // not match (NoMatch: a retransmitted 2xx). False: no call and no probe wanted it.
  bool onResponse(const sip::Message& response, transaction::ClientTransaction* client);

  // A response to an INVITE of ours that no transaction matched, other than a 2xx (a late
  // provisional gets a CANCEL, a late failure its ACK; call_late_responses.cpp). False: not an
  // answer to an INVITE of ours.
  bool answerLateResponse(const sip::Message& response, const transport::Peer& from);

  // TransactionUser events for transactions this manager started or serves.
  std::string buildAck(const transaction::ClientTransaction& client, const sip::Message& response);
  void onClientFailed(transaction::ClientTransaction& client);
  void onTerminated(transaction::Transaction& transaction);

  std::size_t activeCalls() const noexcept { return table_.size(); }
  const CallCounters& counters() const noexcept { return counters_; }
  const routing::HealthMonitor& health() const noexcept { return health_; }
  // Every watched contact; `nowRealtimeUsec` converts the monitor's monotonic since-when.
  std::vector<TrunkRow> trunkRows(std::uint64_t nowRealtimeUsec) const;
  // Every call in the table, oldest first.
  std::vector<CallRow> callRows(std::uint64_t nowRealtimeUsec) const;
  const routing::RoutingTable& routingTable() const noexcept { return routes_; }

  // Replication (call_replication.cpp, docs/replication.md). The primary publishes every call
  // leg change (with its SDP o= state) and trunk health change to `log` (null: nothing).
  void setStateLog(replication::StateLog* log) noexcept { log_ = log; }
  // Every confirmed call and every trunk contact's state, as records (a backup's snapshot).
  void snapshot(std::vector<replication::Record>& out, std::uint64_t nowRealtimeUsec) const;
  // The backup: calls are held as replicas (no Call, no timer, nothing sent) until promotion.
  void applyCallRecord(const replication::CallLegRecord& record);
  void applyEarlyCall(const replication::EarlyCallRecord& record);
  void applyTrunkRecord(const replication::TrunkRecord& record);
  void clearReplicas() { replicas_.clear(); }
  std::size_t replicaCount() const noexcept { return replicas_.size(); }
  // Promotion: every complete replica becomes a live call (Call::restore), every ringing one a
  // ringing call again with a new server transaction for the caller's INVITE
  // (Call::restoreEarly); returns how many.
  std::size_t promoteReplicas();
  // Demotion: every live call is dropped without sending anything (the new primary has them).
  void dropAllCalls();

 private:
  enum class ClientKind : std::uint8_t { Call, Probe };
  struct ClientRecord {
    ClientKind kind = ClientKind::Call;
    b2bua::Call* call = nullptr;
    std::uint64_t serial = 0;
    b2bua::ClientRef ref;
    routing::HealthId health;
    std::uint64_t probe = 0;
  };
  struct Slot {
    std::uint64_t serial = 0;
    std::vector<routing::HealthId> targets;          // per RouteDecision target index
    std::vector<routing::HealthId> transferTargets;  // per target of the running transfer
    // An attended transfer's replaced call (the one whose dialog the Replaces named): ended
    // when this call's transfer completes.
    b2bua::Call* replaced = nullptr;
    std::uint64_t replacedSerial = 0;
    std::unique_ptr<SdpBodyTransform> bodies;  // the call's BodyTransform (outlives it)
    timer::TimerHandle timers[b2bua::kTimerKinds][b2bua::kLegSlots];
    bool answered = false;
    timer::TimePoint started;  // when the INVITE arrived (GetCalls since-when)
    // Replication: where the caller's INVITE came from (transport::formatPeer), whether the
    // ringing call was published (then its end is too) and whether its legs were.
    std::string source;
    bool earlyPublished = false;
    bool legsPublished = false;
    // Requests waiting for DNS, in the order the call produced them (a later request of the
    // call never overtakes one waiting), and the resolution the first one waits for. A vector:
    // libstdc++'s deque allocates even when empty, and this is empty for almost every call.
    std::vector<b2bua::Action> pendingSends;
    resolver::ResolveHandle pendingDns = resolver::kNoHandle;
  };
  enum class HopState : std::uint8_t { Ready, Pending, Failed };

  void startCall(std::unique_ptr<sip::Message>& invite, transaction::ServerTransaction& server,
                 const transport::Peer& from);
  // False for a request of a TLS dialog that came over another transport; otherwise notes the
  // stream connection it came on as the party's flow.
  bool acceptTransport(b2bua::Call& call, b2bua::LegId leg, const transport::Peer& from);
  // Routes `uri`'s user part (a new INVITE's Request-URI, a transfer's Refer-To).
  void route(const sip::Uri& uri, b2bua::RouteDecision& decision,
             std::vector<routing::HealthId>& health);
  void routeTransfer(b2bua::Call* call, std::uint64_t serial, const std::string& referTo);
  // Attended transfer (Refer-To with Replaces, RFC 3891): the target is the other party of the
  // named dialog, reached on its own dialog's target with a Replaces for it.
  void attendedTarget(b2bua::Call* call, Slot& slot, std::string_view replaces,
                      b2bua::RouteDecision& decision);
  void endReplaced(b2bua::Call* call, std::uint64_t serial);
  std::uint64_t serverRef(transaction::ServerTransaction& server);
  void execute(b2bua::Call* call, b2bua::Output& out);
  void sendRequest(b2bua::Call* call, Slot& slot, b2bua::Action& action,
                   std::vector<b2bua::ClientRef>& failed);
  void dispatchRequest(b2bua::Call* call, Slot& slot, b2bua::Action& action,
                       const transport::Peer& peer, std::vector<b2bua::ClientRef>& failed);
  // The open stream connection of the action's flow (the party's registration or its INVITE's
  // connection), if any.
  bool flowPeer(const b2bua::Action& action, transport::Peer& peer) const;
  // The peer of a next hop that is a host name: from the cache, or Pending with `query` set.
  HopState resolveName(b2bua::Action& action, transport::Peer& peer, resolver::NextHopQuery& query);
  void waitForDns(b2bua::Call* call, Slot& slot, const resolver::NextHopQuery& query);
  void onDnsAnswer(b2bua::Call* call, std::uint64_t serial, const resolver::ResolveResult& result);
  void reportFailed(b2bua::Call* call, std::uint64_t serial,
                    const std::vector<b2bua::ClientRef>& failed);
  void sendResponse(Slot& slot, b2bua::Action& action);
  void startTimer(b2bua::Call* call, Slot& slot, const b2bua::Action& action);
  void fireTimer(b2bua::Call* call, std::uint64_t key);
  void endCall(b2bua::Call* call);
  // A new slot for `call` (its serial, since-when and BodyTransform); and the release of one:
  // its timers and its DNS lookup cancelled (the slot itself stays for the caller to erase).
  Slot& addSlot(const b2bua::Call* call, std::unique_ptr<SdpBodyTransform> bodies);
  void releaseSlot(Slot& slot) noexcept;
  Slot* slotOf(const b2bua::Call* call, std::uint64_t serial);
  void sendProbe(const routing::ProbeRequest& probe);
  void sendProbeTo(routing::HealthId id, std::uint64_t number, std::string_view requestUri,
                   const transport::Peer& peer);
  std::uint64_t attach(transaction::ClientTransaction& client, ClientRecord record);
  ClientRecord* recordOf(const transaction::Transaction& transaction);

  timer::TimerWheel& wheel_;
  transaction::TransactionLayer& transactions_;
  transaction::TransportSink& sink_;
  CoreCounters& coreCounters_;  // responses sent by calls count with the core's
  NowSeconds now_;
  RegistrarSource registrar_;
  std::unique_ptr<b2bua::CallConfig> callConfig_;  // calls keep a reference: stable address
  RandomIds ids_;
  b2bua::CallTable table_;
  routing::RoutingTable routes_;
  routing::HealthMonitor health_;
  routing::TransferPolicies transfers_;
  std::string registrarHost_;
  bool holdRfc3264_ =
      true;  // sip-hold-rfc3264  // host tried for registered Extensions besides the R-URI's
  std::unordered_map<const b2bua::Call*, Slot> slots_;
  resolver::Resolver* resolver_ = nullptr;
  // Probes waiting for DNS: ticket -> handle (cancelled at destruction).
  std::unordered_map<std::uint64_t, resolver::ResolveHandle> probeDns_;
  std::uint64_t nextProbeTicket_ = 1;
  std::uint64_t nextSerial_ = 1;
  std::unordered_map<std::uint64_t, transaction::ServerTransaction*> servers_;
  std::unordered_map<std::uint64_t, ClientRecord> clients_;
  std::uint64_t nextRef_ = 1;
  // Outputs reused across messages (no allocation per packet once warm); a deque so an entry
  // stays put while a nested call (a failed start reported back) takes the next one.
  std::deque<b2bua::Output> outputs_;
  std::size_t outputDepth_ = 0;
  struct OutputLease {
    explicit OutputLease(CallManager& owner) : owner(owner), out(owner.acquireOutput()) {}
    ~OutputLease() { --owner.outputDepth_; }
    OutputLease(const OutputLease&) = delete;
    OutputLease& operator=(const OutputLease&) = delete;
    CallManager& owner;
    b2bua::Output& out;
  };
  b2bua::Output& acquireOutput() {
    if (outputDepth_ == outputs_.size()) outputs_.emplace_back();
    b2bua::Output& out = outputs_[outputDepth_++];
    out.clear();
    return out;
  }
  routing::RouteResult plan_;  // reused per INVITE
  CallCounters counters_;
  // Replication.
  void publishCallEvents(const b2bua::Call* call, Slot& slot, b2bua::Output& out);
  std::string sdpStateOf(const Slot& slot, b2bua::LegId leg) const;
  replication::CallLegRecord legRecord(const Slot& slot, b2bua::StateEvent&& event) const;
  std::optional<replication::EarlyCallRecord> earlyRecord(const b2bua::Call& call,
                                                          const Slot& slot) const;
  void publishEarlyEnd(const b2bua::Call* call, const Slot& slot);
  bool restoreEarly(const std::string& key, const b2bua::EarlyCall& early,
                    const std::string (&sdp)[2]);
  void publishTrunk(const routing::HealthEvent& event);
  struct Replica {
    b2bua::CallReplica calls;
    std::string sdp[2];                     // sdp::LegSdpState::serialize() of Inbound, Outbound
    std::optional<b2bua::EarlyCall> early;  // while it rings
    std::string earlySdp[2];
  };
  replication::StateLog* log_ = nullptr;
  std::unordered_map<std::string, Replica> replicas_;  // by call key (the caller's Call-ID)
};

}  // namespace sipha::core
