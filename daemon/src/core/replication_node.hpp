#pragma once
// sipd's end of hot standby (docs/replication.md): the state stream, the HA link to the peer's
// sipd (sipha::halink, mutually authenticated TLS 1.3) and both pure replicators, switched by
// the role. The primary listens and streams; the backup dials the peer, applies what it
// receives to the registrar, the call replicas and the trunk states, and says when it is
// ReadyForSwitchover. Also the stream's SnapshotSource and the backup's Applier over the SIP
// core's state. Single-threaded, on the event loop.
#include <systemd/sd-event.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "common/config/config.hpp"
#include "common/ha/role.hpp"
#include "halink/link.hpp"
#include "replication/backup_replicator.hpp"
#include "replication/primary_replicator.hpp"
#include "replication/state_log.hpp"
#include "replication/status.hpp"
#include "timer/timer_wheel.hpp"

namespace sipha::core {

class SipCore;

class ReplicationNode final : public halink::LinkHandler,
                              public replication::SnapshotSource,
                              public replication::Applier {
 public:
  using RealtimeUsec = std::uint64_t (*)();
  ReplicationNode(sd_event* event, timer::TimerWheel& wheel, SipCore& core,
                  replication::StateLog& log, RealtimeUsec realtime);
  ~ReplicationNode();
  ReplicationNode(const ReplicationNode&) = delete;
  ReplicationNode& operator=(const ReplicationNode&) = delete;

  // Reads [ha] (docs/configuration.md); with peer-address set, loads the certificates and
  // listens on replication-address:replication-port. False with `error` on failure.
  bool start(const common::Config& config, std::string& error);
  bool enabled() const noexcept { return link_ != nullptr; }
  // SetRole took effect: promotion restores the replicated calls and starts a new stream;
  // demotion drops the live calls and follows the peer.
  void setRole(common::Role role, std::uint64_t epoch);

  replication::ReplicationState state() const noexcept;
  bool readyForSwitchover() const noexcept;
  // Called when state() or readyForSwitchover() changes (D-Bus PropertiesChanged).
  void setListener(std::function<void()> listener) { listener_ = std::move(listener); }
  // Counters "replication.*" for D-Bus.
  void appendCounters(std::vector<std::pair<std::string, std::uint64_t>>& out) const;

  // For RegisterHandler::setPeerWait.
  bool waitForPeer(std::uint64_t seq, std::function<void(bool)> done);
  // A switchover drain (PrimaryReplicator::drain): NoBackup at once unless this node is primary
  // with a backup following its stream.
  replication::DrainResult drain(timer::Duration timeout,
                                 replication::PrimaryReplicator::DrainDone done);
  void cancelDrains();
  // The stream's head and what the backup acknowledged of it (for the drain's messages).
  std::uint64_t head() const noexcept { return log_.head(); }
  std::uint64_t acked() const noexcept { return primary_ ? primary_->acked() : 0; }

  // SnapshotSource / Applier.
  void snapshot(std::vector<replication::Record>& out) const override;
  void beginSnapshot() override;
  void apply(replication::Record&& record, bool fromSnapshot) override;
  void endSnapshot() override;

  // halink::LinkHandler.
  void linkOpen(halink::Connection& connection) override;
  void linkFrame(halink::Connection& connection, std::string_view frame) override;
  void linkClosed(halink::Connection& connection, halink::CloseReason reason,
                  std::string_view detail) override;

 private:
  // One connection as the replicators see it.
  class Peer final : public replication::FrameOut {
   public:
    explicit Peer(halink::Connection& connection) : connection_(connection) {}
    void sendFrame(std::string_view body) override { connection_.send(body); }
    void closeLink() override { connection_.close(); }

   private:
    halink::Connection& connection_;
  };
  void dial();
  bool fromPeer(std::string_view address) const;
  void scheduleDial();
  void changed();

  sd_event* event_;
  timer::TimerWheel& wheel_;
  SipCore& core_;
  replication::StateLog& log_;
  RealtimeUsec realtime_;
  common::ReplicationOptions options_;
  replication::ReplicationCounters counters_;
  std::unique_ptr<replication::PrimaryReplicator> primary_;
  std::unique_ptr<replication::BackupReplicator> backup_;
  std::unique_ptr<halink::Link> link_;
  std::unordered_map<halink::Connection*, std::unique_ptr<Peer>> peers_;
  halink::Connection* dialled_ = nullptr;  // the backup's connection to the primary
  timer::TimerHandle dialTimer_;
  common::Role role_ = common::Role::Backup;
  std::uint64_t epoch_ = 0;
  bool promotedOnce_ = false;
  std::function<void()> listener_;
  replication::Frame frame_;  // decoded frame (views into the link's buffer)
  std::uint64_t linkRefusals_ = 0;
  std::uint64_t refusedNotPeer_ = 0;
  std::string scratch_;
  std::string lastLogged_;   // the last problem logged about our link to the primary
  std::string lastInbound_;  // ... and about an inbound link
};

}  // namespace sipha::core
