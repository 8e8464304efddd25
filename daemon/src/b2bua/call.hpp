#pragma once
// One B2BUA call: an inbound leg (sipd as UAS, the caller's dialog) linked to an outbound leg
// (sipd as UAC, a new Call-ID, tags and CSeq space). A pure state machine: events in (requests
// and responses received on a leg, client transaction timeouts, its own timers), actions out
// (Output): send a request on a leg, answer a server transaction, arm/disarm a timer, report a
// failed target, end. No sockets, no clock, no exceptions on the message path. docs/b2bua.md
// has the state diagram and the decisions.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "b2bua/actions.hpp"
#include "b2bua/best_response.hpp"
#include "b2bua/body_transform.hpp"
#include "b2bua/dialog.hpp"
#include "b2bua/ids.hpp"
#include "b2bua/state_event.hpp"
#include "b2bua/types.hpp"
#include "sip/message.hpp"

namespace sipha::b2bua {

enum class CallState : std::uint8_t {
  Idle,         // not started
  Routing,      // outbound INVITE sent to the current target, no provisional relayed yet
  Early,        // a provisional was relayed to the caller
  Answered,     // 2xx relayed to the caller, waiting for its ACK (13.3.1.4)
  Confirmed,    // both dialogs confirmed
  Cancelling,   // the caller cancelled (487 sent); waiting for the outbound INVITE to end
  Terminating,  // BYE sent on one or both legs; waiting for the answers
  Ended,
};

std::string_view callStateName(CallState state) noexcept;

class Call {
 public:
  // `config`, `ids` and `transform` (may be null: bodies pass unchanged) outlive the call.
  Call(const CallConfig& config, IdSource& ids, BodyTransform* transform = nullptr);
  Call(const Call&) = delete;
  Call& operator=(const Call&) = delete;

  // The caller's INVITE (the server transaction exists; the call keeps the message to answer it
  // later) and the routing layer's decision.
  void start(std::unique_ptr<sip::Message> invite, const InboundContext& context,
             RouteDecision route, Output& out);
  // A request on `leg`: CANCEL, ACK, or within the leg's dialog (BYE, re-INVITE, UPDATE, PRACK,
  // INFO, ...). `server` is its server transaction (unused for ACK).
  void onRequest(LegId leg, std::unique_ptr<sip::Message> request, ServerRef server, Output& out);
  // A response to a request the call sent on `leg` (matched on CSeq number and method), including
  // 2xx retransmissions for INVITE.
  void onResponse(LegId leg, const sip::Message& response, Output& out);
  // Timer B/F of a client transaction the call started, or a transport error: as a 408.
  void onClientTimeout(const ClientRef& client, Output& out);
  void onTimer(TimerId timer, Output& out);
  // The routing decision for a RouteTransfer action (the Refer-To URI of a transfer sipd
  // performs with re-INVITE, docs/b2bua.md "Transfers"). Ignored when no transfer waits for it.
  void onTransferRoute(RouteDecision route, Output& out);
  // Ends a confirmed call with BYE on both legs (an attended transfer replaced its dialogs).
  void terminate(Output& out);

  // The backup's side of replication: a confirmed call rebuilt from its events.
  static std::unique_ptr<Call> restore(const CallReplica& replica, const CallConfig& config,
                                       IdSource& ids, BodyTransform* transform = nullptr);
  // The call's state as events (both legs), for a snapshot sent when the peer connects. Empty
  // before the call is confirmed (a ringing call is early() instead).
  std::vector<StateEvent> snapshot() const;
  // A call ringing on one target, as the backup keeps it (nullopt in any other state: routing,
  // forking, cancelling, answered ...). `source` is left empty for the integrator.
  std::optional<EarlyCall> early() const;
  // The new primary's side: the ringing call rebuilt, the caller's INVITE re-parsed and its
  // server transaction re-created by the integrator (`server`). The no-answer timer is re-armed
  // through `out`.
  static std::unique_ptr<Call> restoreEarly(const EarlyCall& early,
                                            std::unique_ptr<sip::Message> invite, ServerRef server,
                                            const CallConfig& config, IdSource& ids,
                                            BodyTransform* transform, Output& out);

  // How CallTable finds the leg of a message: a Call-ID we chose (the Call-ID alone, our tag
  // checked by CallTable) or a peer's Call-ID with its tag.
  struct TableKey {
    LegId leg = LegId::Inbound;
    bool ours = false;  // a Call-ID sipd chose: the key is the Call-ID alone
    std::string_view callId;
    std::string_view peerTag;  // when not ours
  };
  // Appends the keys of the legs that have a dialog (views into the call: use at once).
  void tableKeys(std::vector<TableKey>& out) const;

  CallState state() const noexcept { return state_; }
  // A transfer by re-INVITE runs (from the REFER's 202 to the swap or the failure NOTIFY).
  bool transferring() const noexcept { return transfer_.step != TransferStep::None; }
  std::size_t transferTargetIndex() const noexcept { return transfer_.index; }
  bool ended() const noexcept { return state_ == CallState::Ended; }
  const Dialog& dialog(LegId id) const noexcept { return leg(id).dialog; }
  // Target::flow of the party on `leg` (a registered phone's connection); may be empty.
  const std::string& flow(LegId id) const noexcept { return leg(id).flow; }
  // The party on `leg` sent a request on this stream connection: its later requests go there.
  void setFlow(LegId id, std::string_view flow) { leg(id).flow.assign(flow); }
  const std::string& callKey() const noexcept { return callKey_; }
  std::size_t targetIndex() const noexcept { return targetIndex_; }
  // The target an initial INVITE with this CSeq went to (each forked branch has its own CSeq);
  // targetIndex() when the CSeq is not a branch's.
  std::size_t targetIndexFor(std::uint32_t inviteCseq) const noexcept;
  // Parallel branches of the current group still open (0 when not forking).
  std::size_t openBranches() const noexcept;
  // The status sent to the caller for the initial INVITE (0 while none was).
  std::uint16_t finalStatus() const noexcept { return finalStatus_; }

 private:
  enum class ClientKind : std::uint8_t {
    Initial,           // the outbound INVITE of the call
    Relay,             // a request relayed from the other leg
    Own,               // ours: BYE, NOTIFY, converted relays; the answer only counts for the end
    TransferInvite,    // the INVITE to a transfer target (Transfer leg)
    TransferReinvite,  // the re-INVITE of the transferee with the target's session
  };
  enum class TransferStep : std::uint8_t {
    None,
    Routing,     // 202 + NOTIFY 100 sent, RouteTransfer asked
    Inviting,    // INVITE to the transfer target (one target after the other)
    Reinviting,  // the target answered and was ACKed; re-INVITE of the transferee pending
  };

  // A request received on a leg, waiting for the other leg's answer.
  struct PendingServer {
    std::uint32_t id = 0;
    std::unique_ptr<sip::Message> request;
    ServerRef server = 0;
  };
  // A request the call sent on a leg.
  struct PendingClient {
    ClientKind kind = ClientKind::Own;
    sip::Method method = sip::Method::Unknown;
    std::uint32_t cseq = 0;
    std::uint32_t serverId = 0;  // the PendingServer it relays (0: none)
    std::string branch;
    std::string requestUri;
    std::string nextHop;
    std::string to;  // To as sent (CANCEL copies it, 9.1)
    std::vector<std::string> routes;
    bool provisional = false;
    bool hasOffer = false;  // sent with a body (RFC 3311 5.2 glare)
    bool cancelWanted = false;
    bool cancelSent = false;
    bool completedElsewhere = false;  // its CANCEL carries Reason cause=200 (RFC 3326)
  };
  // One INVITE of a forked group (docs/b2bua.md "Forking"): the outbound leg's Call-ID, From tag
  // and CSeq space are shared; each branch has its own CSeq (its responses are matched on it)
  // and its own early dialog, keyed by the callee's To tag. The selected branch's early dialog
  // is the one in the Outbound slot; the others wait here.
  struct Branch {
    std::size_t target = 0;
    std::uint32_t cseq = 0;
    bool open = true;
    std::uint32_t lastRseq = 0;  // RSeq of its last reliable provisional (RFC 3262)
    Dialog dialog;
  };
  struct Await2xxAck {  // 13.3.1.4: our 2xx on this leg, re-sent until the ACK
    bool active = false;
    std::uint32_t cseq = 0;
    ServerRef server = 0;
    std::string bytes;
    std::uint16_t status = 200;
    Duration interval{0};
  };
  struct Leg {
    Dialog dialog;
    std::vector<PendingServer> servers;
    std::vector<PendingClient> clients;
    Await2xxAck await;
    std::optional<std::uint32_t> ackOwed;  // 2xx received here, ACK sent when the peer ACKs
    std::uint32_t lastAckCseq = 0;         // our last ACK, re-sent for a retransmitted 2xx
    std::string lastAck;
    std::string lastAckNextHop;
    bool dirty = false;
    bool ourCallId = false;  // the dialog's Call-ID is ours (sipd was the UAC that created it)
    std::string flow;        // Target::flow of the peer of this leg (registered phone)
    TransferPolicy policy;   // of the DN behind this leg
    // The last SDP received on this leg (a transfer offers it): dialog.remoteSdp while the last
    // body received was SDP (no second copy on the hot path), else kept here.
    std::string sessionSdp;
    bool sessionInRemote = true;
    std::uint32_t refers = 0;  // REFERs sipd handled itself on this leg (RFC 3515 2.4.6 id)
  };
  // What sends with a request besides the dialog's own lines (NOTIFY, transfer INVITEs).
  struct OwnContent {
    std::span<const sip::HeaderLine> headers;
    std::string_view contentType;
    std::string_view body;
  };
  struct TransferState {
    TransferStep step = TransferStep::None;
    LegId transferor = LegId::Inbound;  // X: sent the REFER; the transferee is otherLeg(X)
    bool transferorGone = false;        // X hung up after the 202: the transfer goes on
    bool targetGone = false;            // the target hung up before the swap
    bool swapped = false;               // the Transfer slot holds X's old dialog
    std::string event;                  // Event of our NOTIFYs ("refer" or "refer;id=N")
    std::string referTo;                // the Refer-To URI without its headers
    std::string referredBy;             // the REFER's Referred-By, passed to the target
    std::vector<Target> targets;
    std::size_t index = 0;
    std::uint32_t attemptCseq = 0;
    BestResponse best;  // 16.7 step 6 over the transfer's targets
  };

  // The Transfer slot exists from the first transfer on (most calls never need it).
  Leg& leg(LegId id) { return id == LegId::Transfer ? transferLeg() : legs_[legIndex(id)]; }
  const Leg& leg(LegId id) const noexcept;
  Leg& transferLeg();

  // Building and sending.
  // Our Contact on a dialog: its transport's address; a SIPS URI when the dialog is secure or
  // the peer's target is a SIPS URI (RFC 3261 12.1.1, 8.1.1.8).
  const std::string& contactOf(const Dialog& dialog) const noexcept;
  void respond(LegId on, const sip::Message& request, ServerRef server, std::uint16_t status,
               std::string_view reason, const sip::Message* relayed, Output& out,
               std::string* keep = nullptr, bool withBody = true);
  void respondRetryLater(LegId on, const sip::Message& request, ServerRef server, Output& out);
  void emitResponse(LegId on, ServerRef server, std::string bytes, std::uint16_t status,
                    Output& out);
  PendingClient* sendRequest(LegId on, sip::Method method, const sip::Message* source,
                             ClientKind kind, std::uint32_t serverId, Output& out,
                             std::string_view nextHopOverride = {},
                             const OwnContent* own = nullptr);
  void sendAck(LegId on, std::uint32_t cseq, const sip::Message* source, Output& out);
  void sendCancel(LegId on, PendingClient& client, Output& out);
  void ackAndByeStray(const sip::Message& response, Output& out, LegId on = LegId::Outbound);
  std::string relayBody(LegId from, LegId to, const sip::Message& message, sip::Method method);
  void noteReceivedBody(LegId on, std::string_view body, std::string_view contentType);
  std::string_view sessionOf(LegId on) const noexcept;
  std::string transformBody(LegId from, LegId to, std::string_view body,
                            std::string_view contentType, sip::Method method, std::uint16_t status,
                            bool freshOffer = false);
  std::uint32_t attemptCseqFor(LegId on) const noexcept;

  // The initial INVITE.
  void failStart(std::unique_ptr<sip::Message> invite, ServerRef server, std::uint16_t status,
                 std::string_view reason, Output& out);
  void tryTarget(Output& out);
  std::uint32_t sendAttempt(std::size_t index, const sip::Message& invite, Output& out);
  bool isLiveAttempt(std::uint32_t cseq) const noexcept;
  void emitTargetFailed(LegId search, std::uint16_t status, std::size_t target, Output& out);
  void recordFailure(std::uint16_t status, std::string_view reason, std::size_t target, bool report,
                     Output& out);
  void nextGroupOrFail(const sip::Message* response, bool better, Output& out);
  // Forking (call_fork.cpp; RFC 3261 16.6, 16.7 applied to the outbound leg).
  void startFork(const sip::Message& invite, Output& out);
  Branch* branchOf(std::uint32_t cseq) noexcept;
  const Branch* branchOf(std::uint32_t cseq) const noexcept;
  void selectBranch(Branch& branch);
  void routeToBranch(LegId on, const sip::Message& request);
  void noteBranchProvisional(Branch& branch, const sip::Message& response);
  bool relayEarlyBody(std::uint32_t cseq, const sip::Message& response);
  void winBranch(std::uint32_t cseq, Output& out);
  void cancelOpenBranches(bool completedElsewhere, Output& out);
  void branchFailed(std::uint32_t cseq, std::uint16_t status, std::string_view reason,
                    const sip::Message* response, bool report, bool failover, Output& out);
  void forkNoAnswer(Output& out);
  void onInitialProvisional(PendingClient& client, const sip::Message& response, Output& out);
  void onInitialFinal(const PendingClient& client, const sip::Message& response, Output& out);
  void targetFailed(std::uint16_t status, std::string_view reason, const sip::Message* response,
                    bool reportHealth, bool failover, Output& out);
  void failUpstream(std::uint16_t status, std::string_view reason, const sip::Message* response,
                    Output& out, std::uint32_t ownRetryAfter = 0);
  void abandonInitial(Output& out);
  void cancelAttempts(Output& out);

  // Within dialogs.
  void onCancel(LegId on, std::unique_ptr<sip::Message> cancel, ServerRef server, Output& out);
  void onAck(LegId on, const sip::Message& ack, Output& out);
  void onInDialog(LegId on, std::unique_ptr<sip::Message> request, ServerRef server, Output& out);
  void onBye(LegId on, const sip::Message& bye, ServerRef server, Output& out);
  void onRelayFinal(LegId on, const PendingClient& client, const sip::Message& response,
                    Output& out);
  void onRelayFailure(LegId on, const PendingClient& client, std::uint16_t status,
                      std::string_view reason, const sip::Message* response, Output& out);
  void teardown(Output& out);
  void answerPending(LegId on, std::uint16_t status, std::string_view reason, Output& out);

  // Transfers (call_transfer.cpp; RFC 3515, the reference's refer-enabled and
  // blind-transfer-enabled).
  bool onRefer(LegId on, std::unique_ptr<sip::Message>& request, ServerRef server, Output& out);
  bool transferBusy() const noexcept;
  bool transferBlocks(LegId on, const sip::Message& request) const noexcept;
  void startTransfer(LegId on, const sip::Message& refer, ServerRef server,
                     std::string_view referTo, Output& out);
  void tryTransferTarget(Output& out);
  void onTransferFinal(const PendingClient& client, const sip::Message& response, Output& out);
  void transferTargetFailed(std::uint16_t status, std::string_view reason, bool reportHealth,
                            bool failover, Output& out);
  void onTransferReinviteFinal(LegId on, const PendingClient& client, std::uint16_t status,
                               std::string_view reason, const sip::Message* response, Output& out);
  void transferFailed(std::uint16_t status, std::string_view reason, Output& out);
  void abortTransfer(std::uint16_t status, std::string_view reason, Output& out);
  void completeTransfer(Output& out);
  void transferorLeft(LegId on, const sip::Message& bye, ServerRef server, Output& out);
  void onTransferLegRequest(std::unique_ptr<sip::Message> request, ServerRef server, Output& out);
  void onTransferTimer(TimerKind kind, Output& out);
  void detachRelays(LegId on, Output& out);
  void releaseTransferTarget(Output& out);
  void sendNotify(LegId on, std::uint16_t status, std::string_view reason, bool final, Output& out);
  void keysChanged(Output& out);

  // Bookkeeping.
  PendingServer* findServer(LegId on, std::uint32_t id) noexcept;
  void eraseServer(LegId on, std::uint32_t id) noexcept;
  std::vector<PendingClient>::iterator findClient(LegId on, std::uint32_t cseq,
                                                  sip::Method method) noexcept;
  void startTimer(TimerKind kind, LegId on, Duration delay, Output& out);
  void cancelTimer(TimerKind kind, LegId on, Output& out);
  void start2xxRetransmission(LegId on, std::uint32_t cseq, ServerRef server, std::string bytes,
                              std::uint16_t status, Output& out);
  void stop2xxRetransmission(LegId on, Output& out);
  void confirm();
  void maybeEnd(Output& out);
  void end(Output& out);
  void endReplication(Output& out);
  void flush(Output& out);
  void markDirty(LegId on) noexcept { leg(on).dirty = true; }
  StateEvent legEvent(LegId on, std::uint64_t sequence) const;

  const CallConfig& config_;
  IdSource& ids_;
  BodyTransform* transform_;
  CallState state_ = CallState::Idle;
  Leg legs_[2];                        // Inbound, Outbound: the linked legs
  std::unique_ptr<Leg> transferSlot_;  // LegId::Transfer, allocated by the first transfer
  std::string callKey_;
  std::string inboundTo_;  // the caller's To (without tag), the default outbound To
  std::vector<Target> targets_;
  std::size_t targetIndex_ = 0;  // the current attempt (forking: the selected branch's target)
  std::size_t groupEnd_ = 0;     // one past the current group's last target
  // Forking (docs/b2bua.md "Forking"): the branches of every forked group so far (a late 2xx of
  // an old one is released on its own flow), the current group's from `groupBranches`.
  // Allocated by the first forked group: calls that never fork pay one pointer.
  struct ForkState {
    std::vector<Branch> branches;
    std::size_t groupBranches = 0;
    std::size_t selected = 0;          // the branch whose early dialog is in the Outbound slot
    std::uint32_t earlyMediaCseq = 0;  // the branch whose provisional SDP is relayed (RFC 3960)
  };
  std::unique_ptr<ForkState> fork_;
  bool forking_ = false;           // the current group has several branches, none won yet
  bool stopAfterGroup_ = false;    // a branch's 3xx/4xx ends the search with its group
  std::uint32_t attemptCseq_ = 0;  // CSeq of the outbound INVITE to the current target
  std::uint32_t initialServerId_ = 0;
  std::uint32_t nextServerId_ = 1;
  BestResponse best_;  // best failure so far (RFC 3261 16.7 step 6)
  std::uint16_t finalStatus_ = 0;
  bool replicating_ = false;
  std::uint64_t sequence_ = 0;
  bool armed_[kTimerKinds][kLegSlots] = {};
  TransferState transfer_;
  std::string retryAfter_ = "5";  // 14.2: within 0..10 s
};

}  // namespace sipha::b2bua
