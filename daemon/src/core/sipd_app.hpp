#pragma once
// sipd as a service: the sd-event loop and everything on it — configuration (load, SIGHUP and
// D-Bus Reload), the transports, the timer wheel, the SIP core, the registrar journal's
// completions, the D-Bus object org.sipha.Sipd1, sd_notify (READY, STATUS, WATCHDOG), roles.
#include <systemd/sd-event.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/config/config.hpp"
#include "common/ha/role_state.hpp"
#include "common/service/service_notifier.hpp"
#include "control/sipd_bus_service.hpp"
#include "core/replication_node.hpp"
#include "core/sip_core.hpp"
#include "resolver/resolver.hpp"
#include "timer/clock.hpp"
#include "timer/sd_event_driver.hpp"
#include "timer/timer_wheel.hpp"
#include "transport/transport_manager.hpp"

namespace sipha::core {

class SipdApp {
 public:
  explicit SipdApp(std::string configPath);
  ~SipdApp();
  SipdApp(const SipdApp&) = delete;
  SipdApp& operator=(const SipdApp&) = delete;

  // Loads the configuration, binds, opens the registrar, joins the bus. Returns the process exit
  // code to use when it fails (2: bad configuration, 1: environment), 0 on success.
  int start();
  // Runs the loop until SIGTERM/SIGINT; returns the exit code.
  int run();

 private:
  control::CallResult reload();
  control::CallResult setRole(control::Role role, std::uint64_t epoch);
  // The switchover drain (docs/replication.md "Switchover drain").
  void stopTakingTransactions(std::uint32_t timeoutMs, control::DeferredReply reply);
  void finishDrain(replication::DrainResult result, std::uint32_t timeoutMs, bool late,
                   const control::DeferredReply& reply);
  control::CallResult resumeTakingTransactions();
  // Ends a stop (pending drains answer DrainCancelled): the node takes new transactions again.
  void endStop(std::string_view why);
  // Property TakingTransactions: primary and not stopped.
  bool takingTransactions() const { return role_->primary() && core_->takingTransactions(); }
  void emitTakingIfChanged(bool before);
  std::vector<control::CounterValue> counterValues() const;
  void updateStatus();
  control::SipdHandlers handlers();

  static int onSignal(sd_event_source* source, const struct signalfd_siginfo* info, void* self);
  static int onJournalCompletion(sd_event_source* source, int fd, std::uint32_t events, void* self);

  std::string configPath_;
  std::shared_ptr<const common::Config> config_;
  sd_event* event_ = nullptr;
  timer::MonotonicClock clock_;
  std::unique_ptr<timer::TimerWheel> wheel_;
  std::unique_ptr<timer::SdEventTimerDriver> timerDriver_;
  std::unique_ptr<common::RoleState> role_;
  std::unique_ptr<transport::TransportManager> transports_;
  std::unique_ptr<resolver::Resolver> resolver_;     // before core_: outlives the calls using it
  std::unique_ptr<replication::StateLog> stateLog_;  // before core_: its consumers go first
  std::unique_ptr<SipCore> core_;
  std::unique_ptr<ReplicationNode> replication_;
  std::unique_ptr<control::SipdBusService> bus_;
  common::ServiceNotifier notifier_;
  sd_event_source* journalSource_ = nullptr;
  timer::TimerHandle statusTimer_;  // coalesces STATUS= updates to at most one a second
};

}  // namespace sipha::core
