#include "core/sipd_app.hpp"

#include <signal.h>
#include <sys/signalfd.h>
#include <time.h>

#include <chrono>

#include "common/config/config_loader.hpp"
#include "common/log/log.hpp"
#include "control/bus_names.hpp"
#include "core/settings_mapping.hpp"

namespace sipha::core {
namespace {

std::uint64_t realtimeUsec() {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<std::uint64_t>(now.tv_sec) * 1000000u +
         static_cast<std::uint64_t>(now.tv_nsec) / 1000u;
}

std::string describeErrors(const std::vector<common::ConfigError>& errors) {
  std::string text;
  for (const auto& error : errors) {
    if (!text.empty()) text += "; ";
    text += error.toString();
  }
  return text;
}

}  // namespace

SipdApp::SipdApp(std::string configPath) : configPath_(std::move(configPath)) {}

SipdApp::~SipdApp() {
  if (wheel_) wheel_->cancel(statusTimer_);
  bus_.reset();
  replication_.reset();
  if (journalSource_ != nullptr) sd_event_source_disable_unref(journalSource_);
  core_.reset();
  resolver_.reset();  // after the calls (they cancel their lookups), before the loop
  transports_.reset();
  timerDriver_.reset();
  wheel_.reset();
  if (event_ != nullptr) sd_event_unref(event_);
}

int SipdApp::start() {
  auto loaded = common::loadConfigFile(configPath_);
  if (!loaded.config) {
    for (const auto& error : loaded.errors) common::logError(error.toString());
    return 2;
  }
  config_ = std::make_shared<const common::Config>(std::move(*loaded.config));
  common::setLogLevel(config_->appliance.logLevel);

  if (sd_event_default(&event_) < 0) {
    common::logError("cannot create the event loop");
    return 1;
  }
  sigset_t signals;
  sigemptyset(&signals);
  for (int signal : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&signals, signal);
  sigprocmask(SIG_BLOCK, &signals, nullptr);
  for (int signal : {SIGTERM, SIGINT, SIGHUP}) {
    sd_event_add_signal(event_, nullptr, signal, &SipdApp::onSignal, this);
  }
  common::ServiceNotifier::enableWatchdog(event_);

  wheel_ = std::make_unique<timer::TimerWheel>(clock_, 4096);
  timerDriver_ = std::make_unique<timer::SdEventTimerDriver>(event_, *wheel_);
  if (timerDriver_->start() < 0) {
    common::logError("cannot start the timer source");
    return 1;
  }

  // The reference: "SIP Server always starts in backup mode". Standalone: primary by itself.
  const bool standalone = config_->ha.mode == common::HaMode::Standalone;
  role_ = std::make_unique<common::RoleState>(standalone ? control::Role::Primary
                                                         : control::Role::Backup);

  transports_ = std::make_unique<transport::TransportManager>(
      event_, [this](std::string&& bytes, const transport::Peer& from) {
        core_->onMessage(std::move(bytes), from);
      });
  transports_->setSendErrorHandler([this](const transport::Peer& to, std::error_code failure) {
    if (core_) core_->onSendFailed(to, failure);
  });
  std::string error;
  // RFC 3263 next hops (docs/dns.md); without c-ares, numeric next hops still work.
  resolver_ = resolver::makeResolver(event_, clock_, resolver::ResolverSettings{}, error);
  if (!error.empty()) common::logWarning("dns: ", error, "; host names in next hops will fail");
  error.clear();
  // The state stream (docs/replication.md): the journal and the peer read it; without a peer
  // nothing reads its encoding.
  const auto& ha = config_->ha;
  const bool replicating = ha.mode == common::HaMode::Pair && ha.replication.enabled();
  stateLog_ = std::make_unique<replication::StateLog>(
      ha.replication.backlogRecords, std::size_t{64} << 20,
      [] {
        return std::chrono::duration_cast<std::chrono::microseconds>(
                   std::chrono::steady_clock::now().time_since_epoch())
            .count();
      },
      1, replicating);
  core_ = std::make_unique<SipCore>(*wheel_, *transports_, *role_, &realtimeUsec);
  core_->setResolver(resolver_.get());
  core_->configure(config_);
  core_->registrar().setStateLog(stateLog_.get());
  if (replicating) core_->calls().setStateLog(stateLog_.get());
  if (!core_->registrar().open(config_, error)) {
    common::logError("registrar: ", error);
    return 1;
  }
  replication_ =
      std::make_unique<ReplicationNode>(event_, *wheel_, *core_, *stateLog_, &realtimeUsec);
  if (!replication_->start(*config_, error)) {
    common::logError("replication: ", error);
    return 1;
  }
  core_->registrar().setPeerWait([this](std::uint64_t seq, std::function<void(bool)> done) {
    return replication_->waitForPeer(seq, std::move(done));
  });
  replication_->setListener([this] {
    if (bus_) bus_->emitReplicationChanged();
  });
  replication_->setRole(role_->role(), role_->epoch());
  core_->registrar().setChangeListener([this] {
    if (wheel_->pending(statusTimer_)) return;
    statusTimer_ = wheel_->schedule(timer::Duration{1000}, [this] { updateStatus(); });
  });
  if (const int fd = core_->registrar().completionFd(); fd >= 0) {
    sd_event_add_io(event_, &journalSource_, fd, EPOLLIN, &SipdApp::onJournalCompletion, this);
  }

  transport::TransportSettings settings;
  if (auto status = transportSettingsFrom(*config_, settings); !status) {
    common::logError("TLS certificate: ", status.message());
    return 1;
  }
  if (auto status = transports_->start(settings, role_->primary()); !status) {
    common::logError("cannot bind the SIP transports: ", status.message());
    return 1;
  }
  common::logNotice("sipd listening on ", config_->tserver.sipInterface, " port ",
                    transports_->localPort(transport::TransportKind::Udp), " (UDP/TCP)",
                    settings.tlsPort ? " and TLS port " : "",
                    settings.tlsPort ? std::to_string(*settings.tlsPort) : std::string{},
                    ", advertising ", config_->tserver.sipAddress, ", role ",
                    control::roleName(role_->role()));

  bus_ = std::make_unique<control::SipdBusService>(
      handlers(), [](std::string_view warning) { common::logWarning("D-Bus: ", warning); });
  bus_->start(event_);  // without a bus it warns once and sipd runs on without D-Bus
  notifier_.ready();
  updateStatus();
  return 0;
}

int SipdApp::run() {
  const int result = sd_event_loop(event_);
  notifier_.stopping();
  common::logNotice("sipd stopping");
  return result < 0 ? 1 : 0;
}

control::SipdHandlers SipdApp::handlers() {
  control::SipdHandlers handlers;
  handlers.setRole = [this](control::Role role, std::uint64_t epoch) {
    return setRole(role, epoch);
  };
  handlers.reload = [this] { return reload(); };
  handlers.counters = [this] { return counterValues(); };
  handlers.optionsSources = [this] {
    std::vector<control::OptionsSource> rows;
    for (const auto& row : core_->optionsSources().rows()) {
      rows.push_back({row.source, row.stats.count, row.stats.lastUsec});
    }
    return rows;
  };
  handlers.droppedSources = [this] {
    std::vector<control::DroppedSource> rows;
    for (const auto& row : core_->droppedSources().rows()) {
      rows.push_back({row.source, row.stats.count});
    }
    return rows;
  };
  handlers.role = [this] { return role_->role(); };
  handlers.replicationState = [this] {
    return std::string{replication::replicationStateName(replication_->state())};
  };
  handlers.readyForSwitchover = [this] { return replication_->readyForSwitchover(); };
  handlers.stopTakingTransactions = [this](std::uint32_t timeoutMs, control::DeferredReply reply) {
    stopTakingTransactions(timeoutMs, std::move(reply));
  };
  handlers.resumeTakingTransactions = [this] { return resumeTakingTransactions(); };
  handlers.takingTransactions = [this] { return takingTransactions(); };
  handlers.epoch = [this] { return role_->epoch(); };
  handlers.bindings = [this] {
    return static_cast<std::uint64_t>(core_->registrar().bindingCount());
  };
  handlers.activeCalls = [this] {
    return static_cast<std::uint64_t>(core_->calls().activeCalls());
  };
  handlers.callsPerSecond = [this] { return core_->callsPerSecond(); };
  handlers.calls = [this] {
    std::vector<control::CallState> rows;
    for (auto& row : core_->calls().callRows(realtimeUsec())) {
      rows.push_back({std::move(row.callId), std::move(row.state), std::move(row.inbound),
                      std::move(row.outbound), row.sinceUsec});
    }
    return rows;
  };
  handlers.trunks = [this] {
    std::vector<control::TrunkState> rows;
    for (auto& row : core_->calls().trunkRows(realtimeUsec())) {
      rows.push_back({std::move(row.dn), std::move(row.contact), std::move(row.state),
                      std::move(row.reason), row.sinceUsec});
    }
    return rows;
  };
  return handlers;
}

control::CallResult SipdApp::setRole(control::Role role, std::uint64_t epoch) {
  const control::Role previousRole = role_->role();
  const std::uint64_t previousEpoch = role_->epoch();
  const bool wasTaking = takingTransactions();
  switch (role_->set(role, epoch)) {
    case common::RoleState::Change::StaleEpoch:
      return control::CallResult::failure(std::string{control::bus::kErrorStaleEpoch},
                                          "epoch " + std::to_string(epoch) +
                                              " is lower than the current epoch " +
                                              std::to_string(previousEpoch));
    case common::RoleState::Change::Unchanged:
      // Any accepted SetRole ends a switchover stop, also one that repeats the role and epoch.
      endStop("SetRole");
      emitTakingIfChanged(wasTaking);
      return control::CallResult::success();
    case common::RoleState::Change::Applied:
      break;
  }
  // Primary serves TCP/TLS; backup closes the listeners so the BIG-IP TCP monitor marks it down.
  if (auto status = transports_->setStreamListenersOpen(role_->primary()); !status) {
    role_->set(previousRole, epoch);
    common::logError("role change to ", control::roleName(role), " failed: ", status.message());
    return control::CallResult::failure("org.sipha.Error.Failed", status.message());
  }
  if (previousRole != role) {
    common::logNotice("role ", control::roleName(previousRole), " -> ", control::roleName(role),
                      " (epoch ", epoch, ")");
  }
  endStop("SetRole");  // a new primary takes transactions; a backup's gate drops them anyway
  core_->setProbing(role_->primary());
  core_->roleChanged();  // X-Sipha-Serving names this node and epoch, or goes
  replication_->setRole(role_->role(), role_->epoch());
  bus_->emitRoleChanged(role_->role(), role_->epoch());
  emitTakingIfChanged(wasTaking);
  updateStatus();
  return control::CallResult::success();
}

void SipdApp::stopTakingTransactions(std::uint32_t timeoutMs, control::DeferredReply reply) {
  if (!role_->primary()) {
    reply(control::CallResult::failure(
        control::bus::kErrorNotPrimary,
        "this node is backup: only a primary can stop taking transactions"));
    return;
  }
  const bool wasTaking = takingTransactions();
  // Stopped before the drain is measured: from here on nothing new adds to what the backup must
  // acknowledge but the transactions under way.
  core_->setTakingTransactions(false);
  const auto result = replication_->drain(timer::Duration{timeoutMs},
                                          [this, timeoutMs, reply](replication::DrainResult late) {
                                            finishDrain(late, timeoutMs, true, reply);
                                          });
  if (result == replication::DrainResult::NoBackup && wasTaking) {
    core_->setTakingTransactions(true);  // refused at once: nothing changes
  }
  if (result == replication::DrainResult::Pending) {
    common::logNotice("switchover drain: taking no new transactions; waiting up to ", timeoutMs,
                      " ms for the backup to acknowledge record ", replication_->head(),
                      " (acknowledged ", replication_->acked(), ")");
  }
  emitTakingIfChanged(wasTaking);
  if (result != replication::DrainResult::Pending) finishDrain(result, timeoutMs, false, reply);
}

void SipdApp::finishDrain(replication::DrainResult result, std::uint32_t timeoutMs, bool late,
                          const control::DeferredReply& reply) {
  using replication::DrainResult;
  const std::string position = "acknowledged " + std::to_string(replication_->acked()) + " of " +
                               std::to_string(replication_->head());
  constexpr std::string_view kStaysStopped =
      "; no new transactions until ResumeTakingTransactions or SetRole";
  switch (result) {
    case DrainResult::Drained:
      common::logNotice("switchover drain: the backup holds every record (", position,
                        "); taking no new transactions until SetRole or "
                        "ResumeTakingTransactions");
      reply(control::CallResult::success());
      return;
    case DrainResult::TimedOut:
      common::logWarning("switchover drain: the backup did not acknowledge every record within ",
                         timeoutMs, " ms (", position, ")", kStaysStopped);
      reply(control::CallResult::failure(control::bus::kErrorDrainTimeout,
                                         "the backup did not acknowledge every record within " +
                                             std::to_string(timeoutMs) + " ms (" + position + ")" +
                                             std::string{kStaysStopped}));
      return;
    case DrainResult::NoBackup:
      if (late) {
        common::logWarning("switchover drain: the backup's link went down (", position, ")",
                           kStaysStopped);
        reply(control::CallResult::failure(control::bus::kErrorNoBackup,
                                           "the backup's link went down during the drain (" +
                                               position + ")" + std::string{kStaysStopped}));
      } else {
        reply(control::CallResult::failure(
            control::bus::kErrorNoBackup,
            "no backup follows the replication stream (ReplicationState " +
                std::string{replication::replicationStateName(replication_->state())} + ")" +
                (core_->takingTransactions() ? std::string{"; still taking transactions"}
                                             : std::string{kStaysStopped})));
      }
      return;
    case DrainResult::Cancelled:
      reply(control::CallResult::failure(
          control::bus::kErrorDrainCancelled,
          "SetRole or ResumeTakingTransactions ended the drain before the backup had "
          "acknowledged every record (" +
              position + ")"));
      return;
    case DrainResult::Pending:
      break;
  }
  reply(control::CallResult::failure("org.sipha.Error.Failed", "the drain is still pending"));
}

control::CallResult SipdApp::resumeTakingTransactions() {
  const bool wasTaking = takingTransactions();
  endStop("ResumeTakingTransactions");
  emitTakingIfChanged(wasTaking);
  return control::CallResult::success();
}

void SipdApp::endStop(std::string_view why) {
  replication_->cancelDrains();  // their callers get DrainCancelled
  if (core_->takingTransactions()) return;
  core_->setTakingTransactions(true);
  common::logNotice("switchover drain ended by ", why,
                    role_->primary() ? ": taking new transactions again" : " (now backup)");
}

void SipdApp::emitTakingIfChanged(bool before) {
  if (bus_ && takingTransactions() != before) bus_->emitTakingTransactionsChanged();
}

control::CallResult SipdApp::reload() {
  notifier_.reloading();
  auto loaded = common::loadConfigFile(configPath_);
  if (!loaded.config) {
    const std::string text = describeErrors(loaded.errors);
    common::logError("reload refused, keeping the running configuration: ", text);
    notifier_.ready();
    return control::CallResult::failure(std::string{control::bus::kErrorConfigInvalid}, text);
  }
  auto next = std::make_shared<const common::Config>(std::move(*loaded.config));
  transport::TransportSettings settings;
  auto status = transportSettingsFrom(*next, settings);
  if (status) status = transports_->reconfigure(settings);
  if (!status) {
    common::logError("reload refused, keeping the running configuration: ", status.message());
    notifier_.ready();
    return control::CallResult::failure(std::string{control::bus::kErrorConfigInvalid},
                                        status.message());
  }
  config_ = std::move(next);
  common::setLogLevel(config_->appliance.logLevel);
  core_->configure(config_);
  common::logNotice("configuration reloaded from ", configPath_, " (", config_->dns.size(),
                    " DNs)");
  notifier_.ready();
  updateStatus();
  return control::CallResult::success();
}

std::vector<control::CounterValue> SipdApp::counterValues() const {
  const resolver::ResolverCounters dns =
      resolver_ ? resolver_->counters() : resolver::ResolverCounters{};
  const auto& core = core_->counters();
  const auto& transport = transports_->counters();
  const auto& transactions = core_->transactions().counters();
  const auto& calls = core_->calls().counters();
  std::uint64_t outOfService = 0;
  for (const auto& contact : core_->calls().health().statuses()) {
    if (contact.state == routing::HealthState::OutOfService) ++outOfService;
  }
  std::vector<control::CounterValue> values{
      {"udp.rx", transport.of(transport::TransportKind::Udp).messagesIn},
      {"udp.tx", transport.of(transport::TransportKind::Udp).messagesOut},
      {"tcp.rx", transport.of(transport::TransportKind::Tcp).messagesIn},
      {"tcp.tx", transport.of(transport::TransportKind::Tcp).messagesOut},
      {"tls.rx", transport.of(transport::TransportKind::Tls).messagesIn},
      {"tls.tx", transport.of(transport::TransportKind::Tls).messagesOut},
      {"requests.rx", core.requestsIn},
      {"responses.rx", core.responsesIn},
      {"parse.errors", core.parseErrors},
      {"parse.answered", core.parseErrorsAnswered},
      {"parse.dropped", core.parseErrorsDropped},
      {"responses.2xx", core.responses2xx},
      {"responses.4xx", core.responses4xx},
      {"responses.5xx", core.responses5xx},
      {"responses.400", core.responses400},
      {"responses.stray", core.strayResponses},
      {"options.rx", core.optionsIn},
      {"register.rx", core.registerIn},
      {"backup.udp.dropped", core.backupUdpDropped},
      {"transactions.active",
       core_->transactions().serverCount() + core_->transactions().clientCount()},
      {"transactions.overloaded", core.overloaded},
      {"transactions.merged", core.merged},
      {"switchover.dropped_requests", core.switchoverDropped},
      {"registrar.bindings", core_->registrar().bindingCount()},
      {"registrar.held", core.heldForDurability},
      {"registrar.store_failures", core.durabilityFailures},
      {"auth.trusted", core.authTrusted},
      {"auth.authenticated", core.authAuthenticated},
      {"auth.registered", core.authRegistered},
      {"auth.challenges", core.authChallenges},
      {"auth.failures", core.authFailures},
      {"auth.refused_unknown", core.authRefusedUnknown},
      {"auth.refused_unregistered", core.authRefusedUnregistered},
      {"auth.refused_wrong_user", core.authRefusedWrongUser},
      {"auth.refused_blocked", core.authRefusedBlocked},
      {"auth.blocked_sources", core.authSourcesBlocked},
      {"auth.table_evictions", core.authTableEvictions},
      {"framing.errors", transport.framingErrors},
      {"framing.missing_content_length", transport.missingContentLength},
      {"limits.message_size", transport.oversizedMessages},
      {"limits.connections", transport.connectionLimitHits},
      {"limits.input_buffer", transport.inputBufferLimitHits},
      {"limits.output_buffer", transport.outputBufferLimitHits},
      {"connections.accepted", transport.connectionsAccepted},
      {"connections.refused", transport.connectionsRefused},
      {"connections.closed", transport.connectionsClosed},
      {"tls.handshake_failures", transport.tlsHandshakeFailures},
      {"keepalive.pings", transport.keepAlivePings},
      {"calls.active", core_->calls().activeCalls()},
      {"calls.started", calls.started},
      {"calls.answered", calls.answered},
      {"calls.failed", calls.failed},
      {"calls.ended", calls.ended},
      {"calls.rejected_full", calls.rejectedFull},
      {"calls.unmatched", calls.unmatched},
      {"calls.loops", calls.loops},
      {"calls.transfers", calls.transfers},
      {"calls.wrong_transport", calls.wrongTransport},
      {"calls.late_cancels", calls.lateCancels},
      {"calls.late_acks", calls.lateAcks},
      {"calls.target_failures", calls.targetFailures},
      {"calls.unresolved", calls.unresolved},
      {"calls.dns_waits", calls.dnsWaits},
      {"dns.requests", dns.requests},
      {"dns.cache_hits", dns.cacheHits},
      {"dns.lookups", dns.lookups},
      {"dns.joined", dns.joined},
      {"dns.failed", dns.failed},
      {"dns.overloaded", dns.overloaded},
      {"calls.lost_server", calls.lostServer},
      {"calls.probes", calls.probesSent},
      {"calls.sdp_errors", calls.sdpErrors},
      {"trunks.contacts", core_->calls().health().size()},
      {"trunks.out_of_service", outOfService},
  };
  (void)transactions;
  std::vector<std::pair<std::string, std::uint64_t>> replication;
  replication_->appendCounters(replication);
  for (auto& [name, value] : replication) values.push_back({std::move(name), value});
  return values;
}

void SipdApp::updateStatus() {
  notifier_.status(common::ServiceNotifier::statusText(control::roleName(role_->role()),
                                                       core_->registrar().bindingCount()));
}

int SipdApp::onSignal(sd_event_source* source, const struct signalfd_siginfo* info, void* self) {
  auto& app = *static_cast<SipdApp*>(self);
  if (info->ssi_signo == SIGHUP) {
    app.reload();
    return 0;
  }
  return sd_event_exit(sd_event_source_get_event(source), 0);
}

int SipdApp::onJournalCompletion(sd_event_source*, int, std::uint32_t, void* self) {
  static_cast<SipdApp*>(self)->core_->registrar().drainCompletions();
  return 0;
}

}  // namespace sipha::core
