#include "service/agent_service.hpp"

#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/log/log.hpp"
#include "common/service/service_notifier.hpp"
#include "io/options_probe.hpp"
#include "service/clock.hpp"

namespace sipha::agent::service {
namespace {

constexpr std::size_t kHistoryLimit = 256;
constexpr const char* kEpochFile = "epoch";
constexpr const char* kBootFile = "boot";
constexpr const char* kPeerBootFile = "peer-boot";

AgentService& of(void* self) { return *static_cast<AgentService*>(self); }

std::string errnoText(int error) { return std::strerror(error); }

}  // namespace

AgentService::AgentService(AgentConfig config, heartbeat::PairKey key)
    : config_(std::move(config)),
      key_(std::move(key)),
      machine_(config_.decision),
      files_(config_.stateDirectory),
      witnessTimeout_(
          std::max(config_.decision.witnessInterval, config_.decision.witnessDeadInterval / 2)) {}

AgentService::~AgentService() {
  local_.reset();
  agentBus_.reset();
  for (auto& path : paths_) {
    sd_event_source_disable_unref(path.source);
    if (path.fd >= 0) ::close(path.fd);
  }
  sd_event_source_disable_unref(tick_);
  sd_event_source_disable_unref(stopTimer_);
  sd_event_source_disable_unref(witnessIo_);
  sd_event_source_disable_unref(witnessTimer_);
  sd_event_source_disable_unref(probeIo_);
  sd_event_source_disable_unref(probeTimer_);
  if (probeFd_ >= 0) ::close(probeFd_);
  sd_bus_flush_close_unref(bus_);
  sd_event_unref(event_);
}

TimePoint AgentService::now() const {
  return TimePoint(Duration(static_cast<std::int64_t>(monotonicUsec() / 1000)));
}

void AgentService::armTimer(sd_event_source*& timer, Duration after,
                            sd_event_time_handler_t handler) {
  if (timer == nullptr) {
    sd_event_add_time_relative(event_, &timer, CLOCK_MONOTONIC, usec(after), 1000, handler, this);
    return;
  }
  sd_event_source_set_time_relative(timer, usec(after));
  sd_event_source_set_enabled(timer, SD_EVENT_ONESHOT);
}

bool AgentService::openPath(Path path, const std::string& local, const std::string& peer,
                            std::string& error) {
  auto& p = paths_[static_cast<std::size_t>(path)];
  if (peer.empty()) return true;  // only one path configured (logged by setUp)
  const auto localAddress = io::SocketAddress::parse(local, config_.heartbeatPort);
  p.peer = io::SocketAddress::parse(peer, config_.heartbeatPort);
  if (!localAddress || !p.peer) {
    error = "bad address for the " + std::string(pathName(path)) + " path";
    return false;
  }
  p.fd = io::openBoundUdp(*localAddress, error);
  if (p.fd < 0) {
    error = std::string(pathName(path)) + " heartbeat socket: " + error;
    return false;
  }
  return sd_event_add_io(event_, &p.source, p.fd, EPOLLIN, onHeartbeat, this) >= 0;
}

bool AgentService::setUp(std::string& error) {
  if (!files_.prepare(error)) return false;
  const auto epoch = files_.read(kEpochFile, error);
  if (!error.empty()) return false;
  const auto boot = files_.read(kBootFile, error);
  if (!error.empty()) return false;
  const auto peerBoot = files_.read(kPeerBootFile, error);
  if (!error.empty()) return false;
  epochOnDisk_ = epoch.value_or(0);
  const std::uint64_t bootId = heartbeat::nextBootId(boot.value_or(0), wallUsec());
  if (!files_.write(kBootFile, bootId, error)) return false;
  sender_ = std::make_unique<heartbeat::Sender>(key_, bootId);
  receiver_ = std::make_unique<heartbeat::Receiver>(
      heartbeat::ReceiverConfig{config_.decision.nodeId, {}, peerBoot.value_or(0)}, key_);
  if (!sender_->ok() || !receiver_->ok()) {
    error = "cannot set up HMAC-SHA256 (OpenSSL)";
    return false;
  }

  int r = sd_event_default(&event_);
  if (r < 0) return error = "sd-event: " + errnoText(-r), false;
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  sd_event_add_signal(event_, nullptr, SIGTERM, onStopSignal, this);
  sd_event_add_signal(event_, nullptr, SIGINT, onStopSignal, this);

  if (!openPath(Path::HaLink, config_.haAddress, config_.peerHaAddress, error)) return false;
  if (!openPath(Path::Service, config_.serviceAddress, config_.peerServiceAddress, error)) {
    return false;
  }
  if (config_.peerServiceAddress.empty()) {
    common::logWarning("agent: no peer-service-address: heartbeats on the HA link only");
  }

  if (!witness_.open(config_.witness, error)) return false;
  r = sd_event_add_io(event_, &witnessIo_, witness_.fd(), EPOLLIN, onWitnessReply, this);
  if (r < 0) return error = "sd-event: " + errnoText(-r), false;

  if (config_.probe) {
    probeTarget_ = io::SocketAddress::parse(config_.probe->address, config_.probe->port);
    probeLocal_ = io::SocketAddress::parse(config_.serviceAddress, 0);
    if (!probeTarget_ || !probeLocal_) return error = "bad service probe address", false;
    probeFd_ = io::openBoundUdp(*probeLocal_, error);
    if (probeFd_ < 0) return error = "service probe socket: " + error, false;
    sockaddr_storage bound{};
    socklen_t length = sizeof bound;
    ::getsockname(probeFd_, reinterpret_cast<sockaddr*>(&bound), &length);
    probeLocal_->storage = bound;  // the port the kernel chose, for the Via
    r = sd_event_add_io(event_, &probeIo_, probeFd_, EPOLLIN, onProbeReply, this);
    if (r < 0) return error = "sd-event: " + errnoText(-r), false;
  } else {
    common::logWarning(
        "agent: service address probe off: a partition of both heartbeat paths "
        "can make two primaries (docs/ha-agent.md)");
  }

  r = sd_bus_open_system(&bus_);
  if (r < 0) return error = "cannot connect to the system bus: " + errnoText(-r), false;
  r = sd_bus_attach_event(bus_, event_, SD_EVENT_PRIORITY_NORMAL);
  if (r < 0) return error = "sd-bus: " + errnoText(-r), false;
  agentBus_ = std::make_unique<AgentBus>(bus_, *this);
  r = agentBus_->start();
  if (r < 0) return error = "cannot own org.sipha.Agent1: " + errnoText(-r), false;
  // A ping every heartbeat; unanswered for two dead intervals: hung (a loop stalled that long
  // is not serving; shorter would turn a busy moment into a switchover).
  local_ = std::make_unique<LocalServices>(
      bus_, event_, config_.decision.heartbeatInterval, config_.decision.deadInterval * 2,
      LocalServices::Callbacks{[this](SipdHealth health, bool ready) {
                                 handle(LocalSipdState{now(), health, ready});
                               },
                               [this] { handle(HandoverComplete{now()}); },
                               [this] { handle(MonitorProbed{now()}); }});
  r = local_->start();
  if (r < 0) return error = "cannot watch sipd on the bus: " + errnoText(-r), false;
  if (config_.probeAwareness) {
    // sipd keys its tables by the address as inet_ntop writes it.
    std::vector<std::string> sources;
    for (const auto& source : config_.monitorSources) {
      if (const auto parsed = io::SocketAddress::parse(source, 0)) {
        sources.push_back(parsed->addressText());
      }
    }
    common::logInfo("agent: probe awareness on: the BIG-IP's monitor from ", sources.size(),
                    " address(es), timeout ", config_.decision.monitorTimeout.count(), " ms");
    // A quarter of the monitor's 1 s interval: a probe is seen within ~250 ms.
    local_->watchMonitor(std::move(sources), Duration(250));
  }

  r = sd_event_add_time_relative(event_, &tick_, CLOCK_MONOTONIC,
                                 usec(config_.decision.heartbeatInterval), 1000, onTick, this);
  if (r < 0) return error = "sd-event: " + errnoText(-r), false;
  sd_event_source_set_enabled(tick_, SD_EVENT_ON);

  common::logNotice("agent: node ", config_.decision.nodeId, " boots as backup (epoch on disk ",
                    epoch.value_or(0), "), heartbeats every ",
                    config_.decision.heartbeatInterval.count(), " ms to ", config_.peerHaAddress,
                    config_.peerServiceAddress.empty() ? "" : " and ", config_.peerServiceAddress,
                    " port ", config_.heartbeatPort, ", witness ", config_.witness);
  // An agent restarted under a serving primary resumes the role (its live calls stay).
  const auto sipdRole = local_->askSipdRole(config_.decision.deadInterval * 2);
  const bool sipdServes = sipdRole && sipdRole->role == Role::Primary &&
                          sipdRole->epoch == epoch.value_or(0) && sipdRole->epoch > 0;
  handle(Boot{now(), epoch.value_or(0), sipdServes});
  // sipd is watched from now (LocalServices reports every change). One that did not answer is
  // dead until the bus says it is there; one that answered is alive (the decision's start).
  if (!sipdRole) handle(LocalSipdState{now(), SipdHealth::Dead, false});
  return true;
}

int AgentService::run() {
  std::string error;
  if (!setUp(error)) {
    common::logError("agent: ", error);
    return 1;
  }
  common::ServiceNotifier notifier;
  common::ServiceNotifier::enableWatchdog(event_);
  notifier.ready();
  const int r = sd_event_loop(event_);
  notifier.stopping();
  if (r < 0) {
    common::logError("agent: event loop failed: ", errnoText(-r));
    return 1;
  }
  common::logNotice("agent: stopped (", published_.role, ", epoch ", published_.epoch, ")");
  return 0;
}

// ---- the decision -------------------------------------------------------------------------

void AgentService::handle(Event event) {
  queue_.push_back(std::move(event));
  if (draining_) return;  // the outer call drains it, in order
  draining_ = true;
  while (!queue_.empty()) {
    const Event next = std::move(queue_.front());
    queue_.pop_front();
    actions_.clear();  // keeps its capacity: no allocation per heartbeat
    machine_.handle(next, actions_);
    // execute() never reaches the machine: what it answers is queued (draining_), so the list
    // stays as it is while it is carried out.
    for (const auto& action : actions_) execute(action);
  }
  draining_ = false;
  refreshStatus();
}

void AgentService::execute(const Action& action) {
  std::visit(
      [this](const auto& a) {
        using A = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<A, SendHeartbeat>) {
          sendHeartbeat(a);
        } else if constexpr (std::is_same_v<A, SetRole>) {
          // A backup that follows a higher epoch keeps it on disk too: sipd refuses anything
          // lower from then on, so a restarted agent must not promote with less.
          if (a.epoch > epochOnDisk_) writeEpoch(a.epoch);
          local_->setRole(a.role, a.epoch);
        } else if constexpr (std::is_same_v<A, PersistEpoch>) {
          persistEpoch(a.epoch);
        } else if constexpr (std::is_same_v<A, ProbeWitness>) {
          probeWitness();
        } else if constexpr (std::is_same_v<A, ProbeServiceAddress>) {
          probeServiceAddress();
        } else if constexpr (std::is_same_v<A, StopTakingTransactions>) {
          local_->stopTakingTransactions(config_.decision.drainTimeout);
        } else if constexpr (std::is_same_v<A, ResumeTakingTransactions>) {
          local_->resumeTakingTransactions();
        } else if constexpr (std::is_same_v<A, SwitchoverRefused>) {
          common::logNotice("agent: switchover refused: ", a.why);
          if (stopping_) finishStop("no handover: " + a.why);
          agentBus_->failSwitchover(kErrorSwitchoverRefused, a.why);
        } else if constexpr (std::is_same_v<A, History>) {
          record(a);
        }
      },
      action);
}

void AgentService::sendHeartbeat(const SendHeartbeat& heartbeat) {
  auto& path = paths_[static_cast<std::size_t>(heartbeat.path)];
  if (path.fd < 0) return;
  const auto datagram = sender_->seal(heartbeat.path, heartbeat.state, wallUsec());
  if (!datagram) return;
  const auto bytes = datagram->view();
  if (::sendto(path.fd, bytes.data(), bytes.size(), MSG_DONTWAIT, path.peer->get(),
               path.peer->length) < 0) {
    ++heartbeatSendErrors_;  // a cut path: the peer's silence on it is what counts
    return;
  }
  ++heartbeatsSent_;
}

bool AgentService::writeEpoch(std::uint64_t epoch) {
  std::string error;
  const bool ok = files_.write(kEpochFile, epoch, error);
  if (ok) {
    epochOnDisk_ = std::max(epochOnDisk_, epoch);
  } else {
    common::logError("agent: cannot persist epoch ", epoch, ": ", error);
  }
  return ok;
}

void AgentService::persistEpoch(std::uint64_t epoch) {
  queue_.push_back(EpochPersisted{now(), epoch, writeEpoch(epoch)});
}

void AgentService::probeWitness() {
  if (witnessOutstanding_) return;  // answered when the outstanding one is
  ++witnessSeq_;
  if (!witness_.send(witnessSeq_)) {
    queue_.push_back(WitnessResult{now(), false});
    return;
  }
  witnessOutstanding_ = true;
  armTimer(witnessTimer_, witnessTimeout_, onWitnessTimeout);
}

int AgentService::onWitnessReply(sd_event_source*, int, std::uint32_t, void* self) {
  auto& s = of(self);
  const auto answered = s.witness_.readReplies();
  if (!s.witnessOutstanding_ || answered != s.witnessSeq_) return 0;  // a late answer
  s.witnessOutstanding_ = false;
  sd_event_source_set_enabled(s.witnessTimer_, SD_EVENT_OFF);
  s.handle(WitnessResult{s.now(), true});
  return 0;
}

int AgentService::onWitnessTimeout(sd_event_source*, std::uint64_t, void* self) {
  auto& s = of(self);
  if (!s.witnessOutstanding_) return 0;
  s.witnessOutstanding_ = false;
  s.handle(WitnessResult{s.now(), false});
  return 0;
}

void AgentService::probeServiceAddress() {
  if (!probeTarget_) {
    queue_.push_back(ServiceAddressProbed{now(), ServiceAddress::Unknown, {}, 0});
    return;
  }
  if (probeOutstanding_) return;
  ++probeSeq_;
  const std::string request =
      io::buildProbeRequest(*probeLocal_, *probeTarget_, config_.decision.nodeId, probeSeq_);
  if (::sendto(probeFd_, request.data(), request.size(), MSG_DONTWAIT, probeTarget_->get(),
               probeTarget_->length) < 0) {
    // No route to it (the link is down): nobody this node could reach serves it.
    queue_.push_back(ServiceAddressProbed{now(), ServiceAddress::NotServed, {}, 0});
    return;
  }
  probeOutstanding_ = true;
  armTimer(probeTimer_, kServiceProbeTimeout, onProbeTimeout);
}

int AgentService::onProbeReply(sd_event_source*, int fd, std::uint32_t, void* self) {
  auto& s = of(self);
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      // ECONNREFUSED (ICMP port unreachable) and the like: nobody answers there. The
      // timeout answers the probe.
      if (errno != EAGAIN) continue;
      return 0;
    }
    if (!s.probeOutstanding_) continue;
    const auto answer = io::parseProbeAnswer(std::string_view(buffer, static_cast<std::size_t>(n)),
                                             s.config_.decision.nodeId, s.probeSeq_);
    if (!answer || answer->status < 200) continue;
    s.probeOutstanding_ = false;
    sd_event_source_set_enabled(s.probeTimer_, SD_EVENT_OFF);
    if (answer->node && *answer->node != s.config_.decision.nodeId) {
      s.handle(ServiceAddressProbed{s.now(), ServiceAddress::ServedByOther, *answer->node,
                                    answer->epoch});
    } else if (answer->node) {
      s.handle(ServiceAddressProbed{s.now(), ServiceAddress::NotServed, {}, 0});
    } else {
      // A SIP server that is not a sipha node answers there: no signal about the peer.
      s.handle(ServiceAddressProbed{s.now(), ServiceAddress::Unknown, {}, 0});
    }
  }
}

int AgentService::onProbeTimeout(sd_event_source*, std::uint64_t, void* self) {
  auto& s = of(self);
  if (!s.probeOutstanding_) return 0;
  s.probeOutstanding_ = false;
  s.handle(ServiceAddressProbed{s.now(), ServiceAddress::NotServed, {}, 0});
  return 0;
}

int AgentService::onTick(sd_event_source* source, std::uint64_t, void* self) {
  auto& s = of(self);
  s.handle(Tick{s.now()});
  sd_event_source_set_time_relative(source, usec(s.config_.decision.heartbeatInterval));
  sd_event_source_set_enabled(source, SD_EVENT_ON);
  return 0;
}

int AgentService::onHeartbeat(sd_event_source*, int fd, std::uint32_t, void* self) {
  auto& s = of(self);
  const Path path = fd == s.paths_[0].fd ? Path::HaLink : Path::Service;
  const auto& expected = *s.paths_[static_cast<std::size_t>(path)].peer;
  std::array<std::uint8_t, 512> buffer;
  for (;;) {
    io::SocketAddress from;
    from.length = sizeof from.storage;
    const ssize_t n = ::recvfrom(fd, buffer.data(), buffer.size(), MSG_DONTWAIT,
                                 reinterpret_cast<sockaddr*>(&from.storage), &from.length);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return 0;
    if (!from.sameAddress(expected)) {
      ++s.strangerDatagrams_;  // not from the peer's address on this path: not even checked
      continue;
    }
    const auto verdict = s.receiver_->receive({buffer.data(), static_cast<std::size_t>(n)}, path);
    if (!verdict.accepted()) continue;  // counted by reason in the receiver
    if (verdict.newBoot) {
      std::string error;
      if (!s.files_.write(kPeerBootFile, s.receiver_->peerBootId(), error)) {
        common::logWarning("agent: ", error);
      }
    }
    s.handle(heartbeat::heartbeatEvent(verdict, s.now()));
  }
}

void AgentService::switchoverRequested() { handle(SwitchoverRequested{now()}); }

// A primary asked to stop (systemctl stop, a reboot) hands over first when its backup can take
// over: a planned stop then loses nothing. Anything else stops at once; a second signal, or
// the drain and handover timeouts, end the wait.
int AgentService::onStopSignal(sd_event_source*, const signalfd_siginfo*, void* self) {
  auto& s = of(self);
  if (s.stopping_) {
    s.finishStop("second signal");
    return 0;
  }
  s.stopping_ = true;
  if (s.machine_.state().phase != Phase::Primary) {
    s.finishStop("not primary");
    return 0;
  }
  common::logNotice("agent: stopping the primary: handing over to the backup first");
  const Duration bound = s.config_.decision.drainTimeout + s.config_.decision.handoverTimeout;
  sd_event_add_time_relative(s.event_, &s.stopTimer_, CLOCK_MONOTONIC, usec(bound), 1000,
                             onStopTimeout, self);
  s.handle(SwitchoverRequested{s.now()});
  return 0;
}

int AgentService::onStopTimeout(sd_event_source*, std::uint64_t, void* self) {
  of(self).finishStop("handover not finished in time");
  return 0;
}

void AgentService::finishStop(const std::string& why) {
  common::logNotice("agent: stopping (", why, ")");
  // A backup that leaves says so: its sipd has no agent any more, the primary must not count on
  // it (a switchover would hand over to nobody). A primary that could not hand over says
  // nothing: its sipd goes on serving, and the peer's probe sees it.
  if (machine_.state().role == Role::Backup) {
    PeerState leaving = machine_.advertised(now());
    leaving.failing = true;
    leaving.ready = false;
    for (Path path : {Path::HaLink, Path::Service}) sendHeartbeat(SendHeartbeat{path, leaving});
  }
  sd_event_exit(event_, 0);
}

// ---- history and status --------------------------------------------------------------------

void AgentService::record(const History& entry) {
  TransitionRecord r{wallUsec(),
                     std::string(phaseName(entry.from)),
                     std::string(phaseName(entry.to)),
                     std::string(common::roleName(entry.role)),
                     entry.epoch,
                     std::string(reasonName(entry.reason)),
                     entry.notReady,
                     entry.detail};
  const bool wasPrimary = status_.role == "primary";
  if (entry.role == Role::Primary && !wasPrimary) ++promotions_;
  if (entry.role == Role::Backup && wasPrimary) ++demotions_;
  common::logNotice("agent: ", r.from, " -> ", r.to, " (", r.reason, "): ", r.role, " epoch ",
                    r.epoch, r.notReady ? ", not ready for switchover" : "",
                    r.detail.empty() ? "" : ": ", r.detail);
  history_.push_back(r);
  if (history_.size() > kHistoryLimit) history_.erase(history_.begin());
  agentBus_->emitTransition(r);
  status_.role = r.role;  // for the promotion/demotion count of the next entry

  if (stopping_ &&
      (entry.reason == Reason::PeerTookOver || entry.reason == Reason::SwitchoverAbandoned ||
       entry.reason == Reason::HandoverTimedOut)) {
    finishStop(std::string(r.reason));
  }
  if (!agentBus_->switchoverPending()) return;
  if (entry.reason == Reason::PeerTookOver) {
    agentBus_->finishSwitchover(machine_.state().peer.epoch);
  } else if (entry.reason == Reason::SwitchoverAbandoned ||
             entry.reason == Reason::HandoverTimedOut) {
    agentBus_->failSwitchover(kErrorSwitchoverAbandoned,
                              entry.detail.empty() ? std::string(r.reason) : entry.detail);
  }
}

void AgentService::buildStatus(AgentStatus& out) const {
  const DecisionState& s = machine_.state();
  const TimePoint t = now();
  out.nodeId = config_.decision.nodeId;
  out.role = common::roleName(s.role);
  out.phase = phaseName(s.phase);
  out.epoch = s.epoch;
  out.localSipd = healthName(s.sipd);
  out.ready = s.sipdReady;
  out.witness = config_.witness;
  out.witnessReachable = !machine_.witnessLost(t);
  out.monitored = machine_.monitored(t);
  if (s.peerKnown) {
    out.peerNodeId = s.peer.nodeId;
    out.peerRole = common::roleName(s.peer.role);
    out.peerEpoch = s.peer.epoch;
    out.peerReady = s.peer.ready;
    out.peerFailing = s.peer.failing;
    out.peerWitnessReachable = s.peer.witnessOk;
    out.peerMonitored = s.peer.monitored;
  }
  for (std::size_t i = 0; i < kPathCount; ++i) {
    auto& path = out.paths[i];
    path.name = pathName(static_cast<Path>(i));
    const TimePoint heard = s.heard[i];
    path.alive = !elapsed(heard, t, config_.decision.deadInterval);
    path.lastHeardMs =
        heard == kNever ? UINT64_MAX : static_cast<std::uint64_t>((t - heard).count());
  }
  if (!history_.empty()) out.lastTransition = history_.back();
}

const AgentStatus& AgentService::status() {
  buildStatus(shown_);
  return shown_;
}

void AgentService::refreshStatus() {
  AgentStatus next;
  buildStatus(next);
  if (next.role != published_.role || next.epoch != published_.epoch ||
      next.peerRole != published_.peerRole || next.localSipd != published_.localSipd) {
    common::ServiceNotifier notifier;
    notifier.status(next.role + ", epoch " + std::to_string(next.epoch) + ", sipd " +
                    next.localSipd + ", peer " +
                    (next.peerNodeId.empty() ? std::string("not heard")
                                             : next.peerNodeId + " " + next.peerRole));
  }
  // The peer heard again after a silence (a partition healed) while this node serves: the
  // VIP is announced again (docs/ha-agent.md, "VIP hygiene").
  const auto anyAlive = [](const AgentStatus& s) { return s.paths[0].alive || s.paths[1].alive; };
  if (local_ && next.role == "primary" && anyAlive(next) && !anyAlive(published_) &&
      published_.role == "primary") {
    common::logNotice("agent: the peer is heard again: announcing the service address again");
    local_->reannounce();
  }
  if (agentBus_) agentBus_->publish(published_, next);
  published_ = std::move(next);
}

Counters AgentService::counters() const {
  Counters out{{"heartbeats.sent", heartbeatsSent_},
               {"heartbeats.send_errors", heartbeatSendErrors_},
               {"heartbeats.received", receiver_ ? receiver_->counters().accepted : 0},
               {"heartbeats.stranger", strangerDatagrams_},
               {"promotions", promotions_},
               {"demotions", demotions_}};
  if (receiver_) {
    for (std::size_t i = 0; i < heartbeat::kDropReasonCount; ++i) {
      const auto reason = static_cast<heartbeat::DropReason>(i);
      out.emplace("heartbeats.dropped." + std::string(heartbeat::dropReasonName(reason)),
                  receiver_->counters().dropped(reason));
    }
  }
  return out;
}

}  // namespace sipha::agent::service
