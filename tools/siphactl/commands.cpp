#include "siphactl/commands.hpp"

#include <signal.h>
#include <systemd/sd-event.h>

#include <memory>

#include "siphactl/format.hpp"
#include "siphactl/pair_mode.hpp"
#include "siphactl/watch.hpp"

namespace sipha::siphactl {
namespace {

struct EventUnref {
  void operator()(sd_event* e) const noexcept { sd_event_unref(e); }
};
using EventPtr = std::unique_ptr<sd_event, EventUnref>;

std::string seconds(std::uint64_t usec) { return std::to_string(usec / 1'000'000) + " s"; }

// Connects and reads the status; on failure prints why and returns false.
bool connectAndRead(AgentClient& client, const CommandLine& line, std::ostream& err,
                    AgentStatus* status) {
  if (auto error = client.connect(line.busAddress)) {
    err << describeFailure(*error, line, client.address(), nullptr) << "\n";
    return false;
  }
  if (status == nullptr) return true;
  auto read = client.readStatus();
  if (!read.ok()) {
    err << describeFailure(read.error, line, client.address(), nullptr) << "\n";
    return false;
  }
  *status = std::move(*read.value);
  return true;
}

int status(const CommandLine& line, std::ostream& out, std::ostream& err) {
  AgentClient client;
  AgentStatus current;
  if (!connectAndRead(client, line, err, &current)) return kExitUnavailable;
  out << (line.json ? statusJson(current) + "\n" : formatStatus(current));
  return kExitOk;
}

int history(const CommandLine& line, std::ostream& out, std::ostream& err) {
  AgentClient client;
  if (!connectAndRead(client, line, err, nullptr)) return kExitUnavailable;
  auto entries = client.readHistory();
  if (!entries.ok()) {
    err << describeFailure(entries.error, line, client.address(), nullptr) << "\n";
    return kExitUnavailable;
  }
  out << (line.json ? historyJson(*entries.value) + "\n" : formatHistory(*entries.value));
  return kExitOk;
}

int switchover(const CommandLine& line, std::ostream& out, std::ostream& err) {
  AgentClient client;
  AgentStatus before;
  if (!connectAndRead(client, line, err, &before)) return kExitUnavailable;
  auto result = client.switchover(kSwitchoverTimeoutUsec);
  if (result.ok()) {
    out << formatSwitchoverDone(before.peerNodeId, *result.value) << "\n";
    return kExitOk;
  }
  const ClientError& error = result.error;
  if (error.kind == ErrorKind::Refused || error.kind == ErrorKind::Abandoned) {
    auto now = client.readStatus();
    err << formatSwitchoverFailed(error.kind == ErrorKind::Abandoned, error.message,
                                  now.ok() ? now.value : std::nullopt)
        << "\n";
    return kExitRefused;
  }
  if (error.kind == ErrorKind::Timeout) {
    err << "no answer from sipha-agent within " << seconds(kSwitchoverTimeoutUsec) << " ("
        << error.message
        << "): the switchover may be under way or done; see `siphactl status` and "
           "`siphactl history`\n";
    return kExitUnavailable;
  }
  err << describeFailure(error, line, client.address(), "switchover") << "\n";
  return kExitUnavailable;
}

int onStopSignal(sd_event_source* source, const signalfd_siginfo*, void*) noexcept {
  return sd_event_exit(sd_event_source_get_event(source), kExitOk);
}

// SIGINT and SIGTERM blocked (sd-event takes them through a signalfd) until destruction.
class BlockedStopSignals {
 public:
  BlockedStopSignals() {
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    ok_ = sigprocmask(SIG_BLOCK, &stop, &previous_) == 0;
  }
  ~BlockedStopSignals() {
    if (ok_) sigprocmask(SIG_SETMASK, &previous_, nullptr);
  }
  BlockedStopSignals(const BlockedStopSignals&) = delete;
  BlockedStopSignals& operator=(const BlockedStopSignals&) = delete;
  bool ok() const { return ok_; }

 private:
  sigset_t previous_{};
  bool ok_ = false;
};

int watch(const CommandLine& line, std::ostream& out, std::ostream& err) {
  const BlockedStopSignals blocked;
  sd_event* raw = nullptr;
  if (!blocked.ok() || sd_event_new(&raw) < 0) {
    err << "cannot set up the event loop\n";
    return kExitUnavailable;
  }
  EventPtr event{raw};
  if (sd_event_add_signal(raw, nullptr, SIGINT, onStopSignal, nullptr) < 0 ||
      sd_event_add_signal(raw, nullptr, SIGTERM, onStopSignal, nullptr) < 0) {
    err << "cannot handle SIGINT and SIGTERM\n";
    return kExitUnavailable;
  }
  AgentClient client;
  if (!connectAndRead(client, line, err, nullptr)) return kExitUnavailable;
  Watcher watcher{client, out};
  if (auto error = watcher.start(raw)) {
    err << describeFailure(*error, line, client.address(), nullptr) << "\n";
    return kExitUnavailable;
  }
  const int code = sd_event_loop(raw);
  return code < 0 ? kExitUnavailable : code;
}

int pairMode(const CommandLine& line, std::ostream& out, std::ostream& err) {
  const auto answer = pairModeOfFile(line.configPath);
  switch (answer.mode) {
    case PairMode::Pair:
      out << answer.explanation << "\n";
      return kExitOk;
    case PairMode::Standalone:
      out << answer.explanation << "\n";
      return kExitRefused;
    case PairMode::Unknown:
      break;
  }
  // sipha-agent's start condition: let the agent start, read the file and say what is wrong.
  err << answer.explanation << " (starting sipha-agent, which reports the problem)\n";
  return kExitOk;
}

}  // namespace

std::string describeFailure(const ClientError& error, const CommandLine& line,
                            const std::string& busAddress, const char* action) {
  const std::string detail = error.name.empty() ? error.message : error.name + ": " + error.message;
  switch (error.kind) {
    case ErrorKind::BusUnreachable:
      return std::string{line.busAddress.empty() ? "cannot reach the system bus"
                                                 : "cannot reach the bus"} +
             " at " + busAddress + ": " + error.message;
    case ErrorKind::AgentAbsent: {
      std::string text =
          "sipha-agent is not running on this node (org.sipha.Agent1 not on the bus)";
      const auto mode = pairModeOfFile(line.configPath);
      if (mode.mode == PairMode::Standalone) text += "\n" + mode.explanation;
      return text;
    }
    case ErrorKind::AccessDenied:
      return std::string{"permission denied"} +
             (action != nullptr
                  ? std::string{": "} + action + " needs root or the sipha-admin group"
                  : std::string{}) +
             " (" + detail + ")";
    case ErrorKind::Timeout:
      return "no answer from sipha-agent (" + detail + ")";
    case ErrorKind::Protocol:
      return "unexpected answer from sipha-agent: " + detail +
             " (siphactl and sipha-agent of different versions?)";
    case ErrorKind::Refused:
    case ErrorKind::Abandoned:
    case ErrorKind::Failed:
      break;
  }
  return "sipha-agent failed: " + detail;
}

int runCommand(const CommandLine& line, std::ostream& out, std::ostream& err) {
  if (!line.error.empty()) {
    if (line.error == kNoCommand) {
      err << usageText();
    } else {
      err << "siphactl: " << line.error << " (see siphactl --help)\n";
    }
    return kExitUnavailable;
  }
  switch (line.command) {
    case Command::Help:
      out << usageText();
      return kExitOk;
    case Command::Status:
      return status(line, out, err);
    case Command::Switchover:
      return switchover(line, out, err);
    case Command::History:
      return history(line, out, err);
    case Command::Watch:
      return watch(line, out, err);
    case Command::PairMode:
      return pairMode(line, out, err);
  }
  return kExitUnavailable;
}

}  // namespace sipha::siphactl
