#pragma once
// The agent's view of, and orders to, the two other processes of its node on the bus
// (docs/ha-agent.md, "The driver"): sipd (org.sipha.Sipd1) and sipha-netcfg (org.sipha.Netcfg1).
//   - sipd's death is seen at once: the bus daemon's NameOwnerChanged (not a timer);
//   - a hung sipd (its loop stopped: SIGSTOP, a livelock) by a Peer.Ping left unanswered for
//     the hang timeout; pings go out one at a time, every ping interval;
//   - ReadyForSwitchover through PropertiesChanged (and a Get when sipd appears);
//   - SetRole(role, epoch) to both, and again to whichever of them (re)appears on the bus;
//   - the switchover drain: StopTakingTransactions (answered when the backup acknowledged
//     everything) and ResumeTakingTransactions.
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/ha/role.hpp"
#include "decision/events.hpp"
#include "decision/time.hpp"

namespace sipha::agent::service {

class LocalServices {
 public:
  struct Callbacks {
    std::function<void(SipdHealth, bool ready)> sipdState;  // on every change
    std::function<void()> handoverComplete;                 // StopTakingTransactions answered
    std::function<void()> monitorProbed;  // the monitor's probes reached sipd since the last look
  };

  LocalServices(sd_bus* bus, sd_event* event, Duration pingInterval, Duration hangTimeout,
                Callbacks callbacks);
  LocalServices(const LocalServices&) = delete;
  LocalServices& operator=(const LocalServices&) = delete;
  ~LocalServices();

  // Subscribes and asks who owns the names. Negative errno on failure.
  int start();

  // Before the loop runs: whether sipd is on the bus and primary, and its epoch (a call bounded
  // by `timeout`; nullopt when sipd does not answer).
  struct SipdRole {
    common::Role role = common::Role::Backup;
    std::uint64_t epoch = 0;
  };
  std::optional<SipdRole> askSipdRole(Duration timeout);

  void setRole(common::Role role, std::uint64_t epoch);
  // The role again to sipha-netcfg, which re-announces the VIP (gratuitous ARP / NA): after a
  // partition heals, neighbours that learnt the other node's address come back.
  void reannounce();
  void stopTakingTransactions(Duration timeout);
  void resumeTakingTransactions();

  // Probe awareness: every `interval`, sipd's per-source tables (GetOptionsSources on a
  // primary, GetDroppedSources on a backup — both are read, the role may change) are summed
  // for the monitor's addresses; a sum that moved means the monitor reached this node. sipd
  // has no event for this (a signal per OPTIONS would cost the packet path), hence a slow read.
  void watchMonitor(std::vector<std::string> sources, Duration interval);

  SipdHealth health() const noexcept { return health_; }
  bool ready() const noexcept { return ready_; }
  bool netcfgPresent() const noexcept { return netcfgPresent_; }

 private:
  static int onNameOwnerChanged(sd_bus_message* m, void* self, sd_bus_error*);
  static int onSipdOwner(sd_bus_message* m, void* self, sd_bus_error*);
  static int onNetcfgOwner(sd_bus_message* m, void* self, sd_bus_error*);
  static int onPropertiesChanged(sd_bus_message* m, void* self, sd_bus_error*);
  static int onReadyReply(sd_bus_message* m, void* self, sd_bus_error*);
  static int onPingReply(sd_bus_message* m, void* self, sd_bus_error*);
  static int onPingTimer(sd_event_source*, std::uint64_t, void* self);
  static int onRoleReply(sd_bus_message* m, void* self, sd_bus_error*);
  static int onDrainReply(sd_bus_message* m, void* self, sd_bus_error*);
  static int onMonitorTimer(sd_event_source*, std::uint64_t, void* self);
  static int onSourcesReply(sd_bus_message* m, void* self, sd_bus_error*);

  void sipdAppeared(const std::string& owner);
  void sipdGone();
  void netcfgAppeared();
  void sendRoleTo(const char* service, const char* path, const char* interface);
  void schedulePing();
  void update(SipdHealth health, bool ready);

  sd_bus* bus_;
  sd_event* event_;
  Duration pingInterval_;
  Duration hangTimeout_;
  Callbacks callbacks_;

  sd_bus_slot* ownerMatch_ = nullptr;
  sd_bus_slot* propertiesMatch_ = nullptr;
  sd_bus_slot* pingCall_ = nullptr;
  sd_bus_slot* drainCall_ = nullptr;
  sd_event_source* pingTimer_ = nullptr;

  std::vector<std::string> monitorSources_;
  Duration monitorInterval_{0};
  sd_event_source* monitorTimer_ = nullptr;
  std::uint64_t monitorSeen_ = 0;     // the sum of both tables for the monitor's addresses
  std::uint64_t monitorPending_ = 0;  // this round's sum so far
  int monitorReplies_ = 0;            // this round's replies still expected

  std::string sipdOwner_;  // unique name; empty: not on the bus
  std::uint64_t pingSentUsec_ = 0;
  SipdHealth health_ = SipdHealth::Dead;
  bool ready_ = false;
  bool netcfgPresent_ = false;
  bool roleKnown_ = false;
  common::Role role_ = common::Role::Backup;
  std::uint64_t epoch_ = 0;
};

}  // namespace sipha::agent::service
