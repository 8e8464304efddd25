// The shipped D-Bus policy (rootfs/usr/share/dbus-1/system.d/org.sipha.Agent1.conf) on a real
// private bus with the system bus's default-deny rules (agent-policy-test.conf), exercised with
// the real siphactl binary. Needs root: the unprivileged caller is a child that drops to
// uid/gid 65534 (nobody) and execs.
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "fake_agent.hpp"
#include "private_bus.hpp"

namespace sipha::siphactl::test {
namespace {

constexpr uid_t kNobody = 65534;

struct Ran {
  int code = -1;       // exit status, -1 killed or failed
  std::string output;  // stdout and stderr
};

// Runs `argv` (as nobody when `asNobody`), at most `timeoutMs`; the environment is inherited
// (DBUS_SYSTEM_BUS_ADDRESS points at the private bus).
Ran runProgram(std::vector<std::string> argv, bool asNobody, int timeoutMs = 15'000) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return {};
  const pid_t pid = fork();
  if (pid < 0) return {};
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    dup2(fds[1], STDOUT_FILENO);
    dup2(fds[1], STDERR_FILENO);
    if (asNobody && (setgroups(0, nullptr) != 0 || setgid(kNobody) != 0 || setuid(kNobody) != 0)) {
      _exit(100);
    }
    std::vector<char*> args;
    for (auto& argument : argv) args.push_back(argument.data());
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(fds[1]);
  Ran ran;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    pollfd p{fds[0], POLLIN, 0};
    if (left <= 0 || poll(&p, 1, static_cast<int>(left)) <= 0) {
      kill(pid, SIGKILL);
      break;
    }
    char buffer[512];
    const ssize_t got = read(fds[0], buffer, sizeof buffer);
    if (got <= 0) break;
    ran.output.append(buffer, static_cast<std::size_t>(got));
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  ran.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return ran;
}

struct PolicyFixture {
  PolicyFixture() {
    BOOST_TEST_REQUIRE(geteuid() == 0u, "the policy test drops privileges and needs root");
    BOOST_TEST_REQUIRE(agent.startResult() >= 0, "root may own org.sipha.Agent1");
  }
  control::test::PrivateBus privateBus{"../../unit/siphactl/agent-policy-test.conf"};
  FakeAgentThread agent;
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(policy, PolicyFixture)

BOOST_AUTO_TEST_CASE(anyone_reads_only_root_switches_over) {
  Ran ran = runProgram({SIPHACTL_BINARY, "status"}, true);
  BOOST_TEST(ran.code == 0, ran.output);
  BOOST_TEST(ran.output.find("pair: ok") != std::string::npos, ran.output);
  ran = runProgram({SIPHACTL_BINARY, "history"}, true);
  BOOST_TEST(ran.code == 0, ran.output);
  ran = runProgram({SIPHACTL_BINARY, "status", "--json"}, true);
  BOOST_TEST(ran.code == 0, ran.output);

  ran = runProgram({SIPHACTL_BINARY, "switchover"}, true);
  BOOST_TEST(ran.code == 2, ran.output);
  BOOST_TEST(ran.output.find("permission denied: switchover needs root or the sipha-admin group "
                             "(org.freedesktop.DBus.Error.AccessDenied") != std::string::npos,
             ran.output);

  ran = runProgram({SIPHACTL_BINARY, "switchover"}, false);
  BOOST_TEST(ran.code == 0, ran.output);
  BOOST_TEST(ran.output == "switched over: sipha-b is primary with epoch 8\n");
}

BOOST_AUTO_TEST_CASE(nobody_else_may_own_the_name) {
  const Ran ran = runProgram({SIPHACTL_FAKE_AGENT}, true, 10'000);
  BOOST_TEST(ran.code == 1, ran.output);
  BOOST_TEST(ran.output.find("cannot serve org.sipha.Agent1") != std::string::npos, ran.output);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace sipha::siphactl::test
