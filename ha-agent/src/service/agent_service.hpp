#pragma once
// sipha-agent's driver (docs/ha-agent.md, "The driver"): one sd-event loop that turns the world
// into the role decision's events and carries its actions out.
//   heartbeats   — UDP on both paths (HA link, service network), sealed and checked by
//                  heartbeat::Sender / Receiver under the pair key;
//   witness      — ICMP echo (io::IcmpEcho), unanswered in the witness timeout: unreachable;
//   service      — the OPTIONS probe (io/options_probe), no answer in kServiceProbeTimeout:
//                  nobody serves;
//   epochs       — StateFiles, fsync before EpochPersisted;
//   local sipd   — LocalServices (NameOwnerChanged, Peer.Ping, ReadyForSwitchover, SetRole);
//   the operator — AgentBus (org.sipha.Agent1).
// Actions that answer with an event (PersistEpoch, a probe refused at once) queue it; the queue
// is drained in order after the current event's actions, so every answer follows its question.
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include <array>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/agent_config.hpp"
#include "decision/role_machine.hpp"
#include "heartbeat/pair_key.hpp"
#include "heartbeat/receiver.hpp"
#include "heartbeat/sender.hpp"
#include "io/icmp_echo.hpp"
#include "io/socket_address.hpp"
#include "service/agent_bus.hpp"
#include "service/local_services.hpp"
#include "store/state_files.hpp"

namespace sipha::agent::service {

// Behind a BIG-IP or on a LAN the peer's sipd answers an OPTIONS in well under a millisecond;
// 25 ms leaves room for a loaded peer and keeps a promotion within its budget (docs/ha-agent.md).
inline constexpr Duration kServiceProbeTimeout{25};

class AgentService final : public AgentBusHandler {
 public:
  AgentService(AgentConfig config, heartbeat::PairKey key);
  AgentService(const AgentService&) = delete;
  AgentService& operator=(const AgentService&) = delete;
  ~AgentService() override;

  // Runs until SIGTERM/SIGINT (a primary hands over to a ready backup first). Returns the
  // process exit code.
  int run();

  // AgentBusHandler
  const AgentStatus& status() override;
  const std::vector<TransitionRecord>& history() const override { return history_; }
  Counters counters() const override;
  void switchoverRequested() override;

 private:
  struct PathSocket {
    int fd = -1;
    sd_event_source* source = nullptr;
    std::optional<io::SocketAddress> peer;  // nullopt: this path is not configured
  };

  bool setUp(std::string& error);
  bool openPath(Path path, const std::string& local, const std::string& peer, std::string& error);

  void handle(Event event);
  void execute(const Action& action);
  void sendHeartbeat(const SendHeartbeat& heartbeat);
  void probeWitness();
  void probeServiceAddress();
  void persistEpoch(std::uint64_t epoch);
  bool writeEpoch(std::uint64_t epoch);
  void record(const History& entry);
  void refreshStatus();
  void buildStatus(AgentStatus& out) const;

  static int onTick(sd_event_source*, std::uint64_t, void* self);
  static int onStopSignal(sd_event_source*, const struct signalfd_siginfo*, void* self);
  static int onStopTimeout(sd_event_source*, std::uint64_t, void* self);
  void finishStop(const std::string& why);
  static int onHeartbeat(sd_event_source*, int fd, std::uint32_t, void* self);
  static int onWitnessReply(sd_event_source*, int fd, std::uint32_t, void* self);
  static int onWitnessTimeout(sd_event_source*, std::uint64_t, void* self);
  static int onProbeReply(sd_event_source*, int fd, std::uint32_t, void* self);
  static int onProbeTimeout(sd_event_source*, std::uint64_t, void* self);

  TimePoint now() const;
  void armTimer(sd_event_source*& timer, Duration after, sd_event_time_handler_t handler);

  AgentConfig config_;
  heartbeat::PairKey key_;
  RoleMachine machine_;
  StateFiles files_;
  std::unique_ptr<heartbeat::Sender> sender_;
  std::unique_ptr<heartbeat::Receiver> receiver_;

  sd_event* event_ = nullptr;
  sd_bus* bus_ = nullptr;
  std::unique_ptr<LocalServices> local_;
  std::unique_ptr<AgentBus> agentBus_;

  std::array<PathSocket, kPathCount> paths_{};
  sd_event_source* tick_ = nullptr;

  io::IcmpEcho witness_;
  sd_event_source* witnessIo_ = nullptr;
  sd_event_source* witnessTimer_ = nullptr;
  bool witnessOutstanding_ = false;
  std::uint16_t witnessSeq_ = 0;
  Duration witnessTimeout_{50};

  int probeFd_ = -1;
  sd_event_source* probeIo_ = nullptr;
  sd_event_source* probeTimer_ = nullptr;
  std::optional<io::SocketAddress> probeLocal_;
  std::optional<io::SocketAddress> probeTarget_;
  bool probeOutstanding_ = false;
  std::uint64_t probeSeq_ = 0;

  std::uint64_t epochOnDisk_ = 0;  // the highest epoch written (promotions and followed ones)
  bool stopping_ = false;
  sd_event_source* stopTimer_ = nullptr;

  std::deque<Event> queue_;
  bool draining_ = false;
  RoleMachine::Actions actions_;

  AgentStatus status_;     // role as of the last history entry (promotion counts)
  AgentStatus published_;  // as last published on the bus
  AgentStatus shown_;      // built for a property read
  std::vector<TransitionRecord> history_;
  std::uint64_t promotions_ = 0;
  std::uint64_t demotions_ = 0;
  std::uint64_t heartbeatsSent_ = 0;
  std::uint64_t heartbeatSendErrors_ = 0;
  std::uint64_t strangerDatagrams_ = 0;
};

}  // namespace sipha::agent::service
