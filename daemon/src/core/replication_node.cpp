#include "core/replication_node.hpp"

#include <sys/random.h>

#include "common/log/log.hpp"
#include "core/sip_core.hpp"
#include "transport/peer_format.hpp"

namespace sipha::core {
namespace {

constexpr timer::Duration kRedialDelay{500};

std::uint64_t randomStreamId() {
  std::uint64_t id = 0;
  while (id == 0) {
    if (getrandom(&id, sizeof id, 0) != static_cast<ssize_t>(sizeof id)) id = 0;
  }
  return id;
}

}  // namespace

ReplicationNode::ReplicationNode(sd_event* event, timer::TimerWheel& wheel, SipCore& core,
                                 replication::StateLog& log, RealtimeUsec realtime)
    : event_(event), wheel_(wheel), core_(core), log_(log), realtime_(realtime) {}

ReplicationNode::~ReplicationNode() {
  if (primary_) log_.removeConsumer(primary_.get());
  wheel_.cancel(dialTimer_);
  link_.reset();  // closes every connection without calling back
  peers_.clear();
}

bool ReplicationNode::start(const common::Config& config, std::string& error) {
  options_ = config.ha.replication;
  if (config.ha.mode != common::HaMode::Pair || !options_.enabled()) {
    if (config.ha.mode == common::HaMode::Pair) {
      common::logWarning("replication: [ha] has no peer-address; this node replicates to nobody");
    }
    return true;
  }
  halink::LinkSettings settings;
  settings.certificateFile = options_.certificateFile;
  settings.privateKeyFile = options_.privateKeyFile;
  settings.caFile = options_.caFile;
  settings.peerCertificateFile = options_.peerCertificateFile;
  link_ = std::make_unique<halink::Link>(event_, *this);
  if (!link_->configure(settings, error)) {
    link_.reset();
    return false;
  }
  if (!link_->listen(options_.address, options_.port, error)) {
    link_.reset();
    return false;
  }
  replication::PrimarySettings primarySettings;
  primarySettings.ackTimeout = timer::Duration{options_.ackTimeoutMs};
  primary_ = std::make_unique<replication::PrimaryReplicator>(
      log_, *this, wheel_, primarySettings, counters_, [this](replication::ReplicationState state) {
        if (state == replication::ReplicationState::Degraded) {
          common::logWarning("replication: degraded — the backup did not acknowledge within ",
                             options_.ackTimeoutMs,
                             " ms or went away; REGISTER is answered without it until it has "
                             "caught up");
        } else if (state == replication::ReplicationState::Streaming) {
          common::logNotice("replication: the backup is in sync; REGISTER is synchronous");
        }
        changed();
      });
  log_.addConsumer(primary_.get());  // every record published from now on goes to the backup
  backup_ = std::make_unique<replication::BackupReplicator>(*this, options_.nodeId, counters_,
                                                            [this] { changed(); });
  common::logNotice("replication: listening on ", options_.address, ":", link_->listenPort(),
                    ", peer ", options_.peerAddress, ":", options_.peerPort);
  return true;
}

void ReplicationNode::setRole(common::Role role, std::uint64_t epoch) {
  const common::Role previous = role_;
  role_ = role;
  epoch_ = epoch;
  if (role == common::Role::Primary) {
    core_.registrar().setExpiring(true);
    if (previous != common::Role::Primary || !promotedOnce_) {
      promotedOnce_ = true;
      const std::size_t restored = core_.calls().promoteReplicas();
      if (restored != 0 || enabled()) {
        common::logNotice("replication: promoted with ", core_.registrar().bindingCount(),
                          " bindings and ", restored, " calls from the stream");
      }
      log_.restart(randomStreamId());  // nobody resumes a stream we did not write
    }
    if (!enabled()) return;
    wheel_.cancel(dialTimer_);
    backup_->stop();
    if (dialled_ != nullptr) dialled_->close();
    primary_->start(epoch);
    changed();
    return;
  }
  // Backup: the primary's clock expires bindings, its calls are held as replicas.
  core_.registrar().setExpiring(false);
  if (previous == common::Role::Primary) core_.calls().dropAllCalls();
  if (!enabled()) return;
  primary_->stop();
  backup_->start(epoch);
  backup_->setEpoch(epoch);
  if (dialled_ == nullptr) dial();
  changed();
}

void ReplicationNode::dial() {
  if (!enabled() || role_ != common::Role::Backup || dialled_ != nullptr) return;
  std::string error;
  // From our replication-address: the primary accepts links from its peer-address only.
  dialled_ = link_->connect(options_.peerAddress, options_.peerPort, error, options_.address);
  if (dialled_ == nullptr) {
    if (lastLogged_ != error) common::logWarning("replication: cannot dial the peer: ", error);
    lastLogged_ = error;
    scheduleDial();
  }
}

void ReplicationNode::scheduleDial() {
  if (wheel_.pending(dialTimer_)) return;
  dialTimer_ = wheel_.schedule(kRedialDelay, [this] { dial(); });
}

void ReplicationNode::linkOpen(halink::Connection& connection) {
  auto& peer = peers_[&connection];
  peer = std::make_unique<Peer>(connection);
  if (&connection == dialled_) {
    common::logNotice("replication: connected to the primary ", connection.peerAddress());
    lastLogged_.clear();
    backup_->connected(*peer);
  } else if (!fromPeer(connection.peerAddress())) {
    // A certificate of the pair's CA on another host: not our peer (defence in depth).
    ++refusedNotPeer_;
    replication::refuseAndClose(*peer, epoch_, replication::RefuseReason::Protocol,
                                "links are accepted from " + options_.peerAddress + " only",
                                scratch_);
  } else {
    primary_->connected(*peer);  // refuses (NotPrimary) unless primary
  }
}

bool ReplicationNode::fromPeer(std::string_view address) const {
  // "192.0.2.2:5000" or "[2001:db8::2]:5000": the address, not its spelling, is compared.
  const auto colon = address.rfind(':');
  if (colon == std::string_view::npos) return false;
  sockaddr_storage from{};
  sockaddr_storage peer{};
  socklen_t length = 0;
  return transport::parseLiteralAddress(address.substr(0, colon), 0, from, length) &&
         transport::parseLiteralAddress(options_.peerAddress, 0, peer, length) &&
         transport::sameAddress(from, peer);
}

void ReplicationNode::linkFrame(halink::Connection& connection, std::string_view bytes) {
  const auto found = peers_.find(&connection);
  if (found == peers_.end()) return;
  Peer& peer = *found->second;
  if (const auto error = replication::decodeFrame(bytes, frame_);
      error != replication::FrameError::None) {
    ++counters_.refusedGarbled;
    common::logWarning("replication: a garbled frame from ", connection.peerAddress(), " (",
                       replication::frameErrorName(error), "); link closed");
    connection.close();
    return;
  }
  if (&connection == dialled_) {
    backup_->frame(peer, frame_);
  } else {
    primary_->frame(peer, frame_);
  }
}

void ReplicationNode::linkClosed(halink::Connection& connection, halink::CloseReason reason,
                                 std::string_view detail) {
  const auto found = peers_.find(&connection);
  if (found != peers_.end()) {
    if (&connection == dialled_) {
      backup_->lost(*found->second);
    } else if (primary_) {
      primary_->lost(*found->second);
    }
    peers_.erase(found);
  }
  if (reason == halink::CloseReason::HandshakeFailed) ++linkRefusals_;
  const std::string text =
      detail.empty() ? std::string{halink::closeReasonName(reason)} : std::string{detail};
  if (&connection == dialled_) {
    dialled_ = nullptr;
    if (lastLogged_ != text) {
      common::logWarning("replication: link to the primary closed: ", text,
                         backup_ && !backup_->lastProblem().empty()
                             ? " (" + backup_->lastProblem() + ")"
                             : std::string{});
    }
    lastLogged_ = text;
    if (role_ == common::Role::Backup) scheduleDial();
  } else if (reason != halink::CloseReason::Local && reason != halink::CloseReason::PeerClosed &&
             lastInbound_ != text) {
    // Once per distinct reason: a scanner on the HA network does not flood the journal (the
    // counters count every refusal).
    common::logWarning("replication: link from ", connection.peerAddress(), " closed: ", text);
    lastInbound_ = text;
  }
}

replication::ReplicationState ReplicationNode::state() const noexcept {
  if (!enabled()) return replication::ReplicationState::Off;
  return role_ == common::Role::Primary ? primary_->state() : backup_->state();
}

bool ReplicationNode::readyForSwitchover() const noexcept {
  return enabled() && role_ == common::Role::Backup && backup_->ready();
}

bool ReplicationNode::waitForPeer(std::uint64_t seq, std::function<void(bool)> done) {
  if (!enabled() || role_ != common::Role::Primary) return false;
  return primary_->waitFor(seq, std::move(done));
}

replication::DrainResult ReplicationNode::drain(timer::Duration timeout,
                                                replication::PrimaryReplicator::DrainDone done) {
  if (!enabled() || role_ != common::Role::Primary) return replication::DrainResult::NoBackup;
  return primary_->drain(timeout, std::move(done));
}

void ReplicationNode::cancelDrains() {
  if (primary_) primary_->cancelDrains();
}

void ReplicationNode::changed() {
  if (listener_) listener_();
}

void ReplicationNode::appendCounters(
    std::vector<std::pair<std::string, std::uint64_t>>& out) const {
  const auto& c = counters_;
  const auto& published = log_.counters();
  out.insert(out.end(), {
                            {"replication.head", log_.head()},
                            {"replication.published", published.published},
                            {"replication.published_bytes", published.bytes},
                            {"replication.encode_failures", published.encodeFailures},
                            {"replication.frames_out", c.framesOut},
                            {"replication.frames_in", c.framesIn},
                            {"replication.refused.stale_epoch", c.refusedStaleEpoch},
                            {"replication.refused.garbled", c.refusedGarbled},
                            {"replication.refused.not_primary", c.refusedNotPrimary},
                            {"replication.refused.handshake", linkRefusals_},
                            {"replication.refused.not_peer", refusedNotPeer_},
                            {"replication.snapshots_sent", c.snapshotsSent},
                            {"replication.resumes", c.resumes},
                            {"replication.records_sent", c.recordsSent},
                            {"replication.acks", c.acks},
                            {"replication.acked_seq", primary_ ? primary_->acked() : 0},
                            {"replication.sync_waits", c.syncWaits},
                            {"replication.sync_acked", c.syncAcked},
                            {"replication.unsynced_answers", c.unsyncedAnswers},
                            {"replication.degraded", c.degradedEntries},
                            {"replication.snapshots_applied", c.snapshotsApplied},
                            {"replication.records_applied", c.recordsApplied},
                            {"replication.applied_seq", backup_ ? backup_->applied() : 0},
                            {"replication.known_head", backup_ ? backup_->knownHead() : 0},
                            {"replication.call_replicas", core_.calls().replicaCount()},
                        });
  if (!enabled()) return;
  const auto& lag = primary_->lag();
  out.insert(out.end(), {
                            {"replication.lag_records", role_ == common::Role::Primary
                                                            ? log_.head() - primary_->acked()
                                                            : backup_->lagRecords()},
                            {"replication.lag_us", primary_->lagMicros()},
                            {"replication.lag_p50_us", lag.percentile(50)},
                            {"replication.lag_p99_us", lag.percentile(99)},
                            {"replication.lag_samples", lag.count()},
                        });
  const auto& link = link_->counters();
  out.insert(out.end(), {
                            {"replication.bytes_out", link.bytesOut},
                            {"replication.bytes_in", link.bytesIn},
                            {"replication.link_frames_out", link.framesOut},
                            {"replication.link_frames_in", link.framesIn},
                            {"replication.refused.certificate", link.certificateRefusals},
                            {"replication.refused.oversized", link.oversizedFrames},
                            {"replication.connections_accepted", link.connectionsAccepted},
                            {"replication.connections_opened", link.connectionsOpened},
                        });
}

void ReplicationNode::snapshot(std::vector<replication::Record>& out) const {
  const std::string secret = core_.registrar().nonceSecret();
  if (!secret.empty()) out.emplace_back(replication::SecretRecord{secret});
  if (const registrar::Registrar* registrar = core_.registrar().registrar()) {
    for (auto& event : registrar->snapshot()) out.emplace_back(std::move(event));
  }
  core_.calls().snapshot(out, realtime_());
}

void ReplicationNode::beginSnapshot() {
  core_.registrar().beginReplicaSnapshot();
  core_.calls().clearReplicas();
}

void ReplicationNode::apply(replication::Record&& record, bool fromSnapshot) {
  if (auto* event = std::get_if<registrar::Event>(&record)) {
    core_.registrar().applyReplicated(std::move(*event), fromSnapshot);
  } else if (const auto* call = std::get_if<replication::CallLegRecord>(&record)) {
    core_.calls().applyCallRecord(*call);
  } else if (const auto* early = std::get_if<replication::EarlyCallRecord>(&record)) {
    core_.calls().applyEarlyCall(*early);
  } else if (const auto* trunk = std::get_if<replication::TrunkRecord>(&record)) {
    core_.calls().applyTrunkRecord(*trunk);
  } else if (const auto* secret = std::get_if<replication::SecretRecord>(&record)) {
    core_.registrar().setNonceSecret(secret->secret);
  }
}

void ReplicationNode::endSnapshot() { core_.registrar().endReplicaSnapshot(); }

}  // namespace sipha::core
