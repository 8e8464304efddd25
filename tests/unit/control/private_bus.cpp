#include "private_bus.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <vector>

namespace sipha::control::test {
namespace {

constexpr int kStartTimeoutMs = 10'000;

std::string makeTempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "sipha-bus-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  // Tests that drop privileges (policy tests) must still reach the socket inside.
  chmod(pattern.c_str(), 0755);
  return pattern;
}

// Reads dbus-daemon's first stdout line (its address), waiting at most kStartTimeoutMs.
std::string readAddress(int fd) {
  std::string line;
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    const int n = poll(&p, 1, kStartTimeoutMs);
    if (n <= 0) throw std::runtime_error("dbus-daemon printed no address");
    char buffer[256];
    const ssize_t got = read(fd, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) throw std::runtime_error("dbus-daemon exited before printing its address");
    line.append(buffer, static_cast<std::size_t>(got));
    if (const auto end = line.find('\n'); end != std::string::npos) return line.substr(0, end);
  }
}

}  // namespace

PrivateBus::PrivateBus(const std::string& configName) : directory_(makeTempDir()) {
  const std::string config = std::string{SIPHA_TEST_DATA_DIR} + "/dbus/" + configName;
  const std::string configArg = "--config-file=" + config;
  const std::string addressArg = "--address=unix:dir=" + directory_;
  const std::string logPath = directory_ + "/dbus-daemon.log";
  std::vector<char*> argv{
      const_cast<char*>("dbus-daemon"),      const_cast<char*>(configArg.c_str()),
      const_cast<char*>("--nofork"),         const_cast<char*>("--print-address=1"),
      const_cast<char*>(addressArg.c_str()), nullptr};
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive a crashed test
    dup2(fds[1], STDOUT_FILENO);
    const int log = open(logPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (log >= 0) dup2(log, STDERR_FILENO);
    execvp("dbus-daemon", argv.data());
    _exit(127);
  }
  close(fds[1]);
  try {
    address_ = readAddress(fds[0]);
  } catch (...) {
    close(fds[0]);
    stop();
    std::filesystem::remove_all(directory_);
    throw;
  }
  close(fds[0]);
  if (const char* previous = std::getenv("DBUS_SYSTEM_BUS_ADDRESS")) previousAddress_ = previous;
  setenv("DBUS_SYSTEM_BUS_ADDRESS", address_.c_str(), 1);
}

PrivateBus::~PrivateBus() {
  stop();
  if (previousAddress_) {
    setenv("DBUS_SYSTEM_BUS_ADDRESS", previousAddress_->c_str(), 1);
  } else {
    unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
  }
  std::error_code ignored;
  std::filesystem::remove_all(directory_, ignored);
}

void PrivateBus::stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

}  // namespace sipha::control::test
