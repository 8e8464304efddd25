#pragma once
// sipd's SIP core: every received message passes through here. It applies the backup gate
// (BIG-IP contract: a backup reads and drops UDP), parses, answers what cannot be parsed,
// hands requests to the transaction layer and answers them as the user agent server of the
// appliance: OPTIONS (the BIG-IP monitor), REGISTER (the registrar), and the RFC 3261 8.2
// answers for everything else. Single-threaded, on the event loop.
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "common/config/config.hpp"
#include "common/ha/role_state.hpp"
#include "core/call_gate.hpp"
#include "core/call_manager.hpp"
#include "core/core_counters.hpp"
#include "core/log_throttle.hpp"
#include "core/rate_meter.hpp"
#include "core/register_handler.hpp"
#include "core/source_table.hpp"
#include "sip/message.hpp"
#include "sip/message_builder.hpp"
#include "sip/parser.hpp"
#include "transaction/interfaces.hpp"
#include "transaction/transaction_layer.hpp"
#include "transport/transport_manager.hpp"

namespace sipha::core {

class SipCore final : public transaction::TransactionUser, public transaction::TransportSink {
 public:
  using WallClockUsec = std::function<std::uint64_t()>;

  SipCore(timer::TimerWheel& wheel, transport::TransportManager& transports,
          const common::RoleState& role, WallClockUsec wallClockUsec);
  ~SipCore() override;

  // Applies a (re)loaded configuration: parser limits, transaction timers (for new
  // transactions), the DN table, registrar options. Bindings are kept.
  void configure(std::shared_ptr<const common::Config> config);

  // The transport's message callback.
  void onMessage(std::string&& bytes, const transport::Peer& from);

  RegisterHandler& registrar() { return *registerHandler_; }
  const RegisterHandler& registrar() const { return *registerHandler_; }
  CallManager& calls() { return *calls_; }
  // New calls (INVITEs a call took) per second over the last 10 s (D-Bus CallsPerSecond).
  double callsPerSecond() { return callRate_.perSecond(wheel_.clock().now()); }
  const CallManager& calls() const { return *calls_; }
  // Trunk probing (oos-check) runs on the primary only.
  void setProbing(bool enabled);
  // The role or epoch changed (SetRole): rebuilds the OPTIONS answer's headers, so a primary of a
  // pair names itself in X-Sipha-Serving (core/serving_header.hpp). configure() does it too.
  void roleChanged();
  // Switchover drain (docs/replication.md): while not taking transactions, a request that
  // matches no server transaction is dropped unanswered and counted (switchoverDropped); a
  // retransmission, an ACK, a CANCEL of a live INVITE transaction and every response are
  // handled as usual, so the transactions under way finish. The stateless OPTIONS answer goes on.
  void setTakingTransactions(bool taking) noexcept { takingTransactions_ = taking; }
  bool takingTransactions() const noexcept { return takingTransactions_; }
  // Next-hop host names resolve through `resolver` (set before configure; outlives the core).
  void setResolver(resolver::Resolver* resolver) noexcept { resolver_ = resolver; }
  const CoreCounters& counters() const { return counters_; }
  const SourceTable& optionsSources() const { return optionsSources_; }
  const SourceTable& droppedSources() const { return droppedSources_; }
  const transaction::TransactionLayer& transactions() const { return *transactions_; }

  // The transport could not deliver what was queued for `to` (a connection that failed to set
  // up, a TLS handshake refused, a connection closed with output pending): the client
  // transactions toward it end now (RFC 3261 17.1.4), and the failure is logged.
  void onSendFailed(const transport::Peer& to, std::error_code error);

  // TransportSink
  bool send(const transport::Peer& to, std::string_view bytes) override;
  bool connected(std::uint64_t connectionId) const override;

  // TransactionUser
  std::string buildAck(const transaction::ClientTransaction& transaction,
                       const transaction::IncomingResponse& response) override;
  void onTimeout(transaction::ClientTransaction& transaction) override;
  void onTimeout(transaction::ServerTransaction& transaction) override;
  void onTransportError(transaction::Transaction& transaction) override;
  void onTerminated(transaction::Transaction& transaction) override;

 private:
  void handleRequest(std::unique_ptr<sip::Message>& request, const transport::Peer& from);
  void handleResponse(const sip::Message& response, const transport::Peer& from);
  void answerParseError(const sip::ParseResult& result, const transport::Peer& from);
  // One notice for a stream connection that failed (throttled); `consequence` is appended.
  void logSendFailure(const transport::Peer& to, std::error_code error,
                      std::string_view consequence);
  void answerStateless(const sip::Message& request, const transport::Peer& from,
                       const sip::ResponseSpec& spec);
  // The TU: a new server transaction for `request`.
  void serve(std::unique_ptr<sip::Message>& message, transaction::ServerTransaction& transaction,
             transaction::ServerTransaction* cancelTarget);
  void respond(const sip::Message& request, transaction::ServerTransaction& transaction,
               sip::ResponseSpec spec);
  bool rejectUnsupportedExtensions(const sip::Message& request,
                                   transaction::ServerTransaction& transaction);
  void answerOptions(const sip::Message& request, const transport::Peer& from);
  void updateOptionsHeaders();
  std::string_view nextToTag();                                  // random per response
  std::string_view statelessToTag(const sip::Message& request);  // same for retransmissions
  std::string_view hexTag(std::uint64_t value);
  void countResponse(std::uint16_t status);

  timer::TimerWheel& wheel_;
  transport::TransportManager& transports_;
  const common::RoleState& role_;
  WallClockUsec wallClockUsec_;
  std::shared_ptr<const common::Config> config_;
  sip::ParserLimits parserLimits_;
  std::unique_ptr<transaction::TransactionLayer> transactions_;
  std::unique_ptr<RegisterHandler> registerHandler_;
  std::unique_ptr<CallGate> callGate_;  // who may start calls (docs/authentication.md)
  std::unique_ptr<CallManager> calls_;  // after transactions_: destroyed before it
  resolver::Resolver* resolver_ = nullptr;
  CoreCounters counters_;
  RateMeter<10> callRate_;
  SourceTable optionsSources_;
  SourceTable droppedSources_;
  LogThrottle sendFailureLog_;
  std::uint64_t tagSeed_;
  std::uint64_t tagCounter_ = 0;
  char tagBuffer_[17] = {};
  const transport::Peer* currentSource_ = nullptr;  // set while a request is being served
  bool takingTransactions_ = true;
  // Every OPTIONS 200's headers, rebuilt on configure and role changes (none on the hot path):
  // Allow, Accept, Supported and, on a primary of a pair, X-Sipha-Serving (servingValue_).
  std::string servingValue_;
  std::array<sip::HeaderLine, 4> optionsHeaderLines_{};
  std::span<const sip::HeaderLine> optionsHeaders_;
};

}  // namespace sipha::core
