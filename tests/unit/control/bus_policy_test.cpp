// The shipped D-Bus policy (rootfs/usr/share/dbus-1/system.d/org.sipha.Sipd1.conf) on a real
// private bus with the system bus's default-deny rules (tests/data/dbus/policy-test.conf).
// Needs root: an unprivileged caller is a child that drops to uid/gid 65534 (nobody).
#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>

#include "bus_client.hpp"
#include "control/bus_names.hpp"
#include "control/sipd_bus_service.hpp"
#include "event_loop.hpp"
#include "private_bus.hpp"

namespace sipha::control::test {
namespace {

constexpr uid_t kNobody = 65534;

// Runs `body` in a child as nobody while the parent's event loop serves the bus; returns the
// child's exit code (or -1). The child only uses its own new connections.
int runAsNobody(sd_event* event, const std::function<int()>& body) {
  const pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    if (setgroups(0, nullptr) != 0 || setgid(kNobody) != 0 || setuid(kNobody) != 0) _exit(100);
    _exit(body());
  }
  int status = 0;
  bool exited = false;
  runUntil(event, [&] {
    if (!exited) exited = waitpid(pid, &status, WNOHANG) == pid;  // reaps once
    return exited;
  });
  if (!exited) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool callFailsWith(sd_bus* bus, const char* member, const char* types, const char* errorName,
                   const char* role = nullptr) {
  sd_bus_error error = SD_BUS_ERROR_NULL;
  sd_bus_message* reply = nullptr;
  const int r = role != nullptr
                    ? sd_bus_call_method(bus, bus::kServiceName, bus::kObjectPath, bus::kInterface,
                                         member, &error, &reply, types, role, std::uint64_t{9})
                    : sd_bus_call_method(bus, bus::kServiceName, bus::kObjectPath, bus::kInterface,
                                         member, &error, &reply, types);
  const bool failed = r < 0 && sd_bus_error_has_name(&error, errorName);
  sd_bus_message_unref(reply);
  sd_bus_error_free(&error);
  return failed;
}

struct PolicyFixture {
  PrivateBus privateBus{"policy-test.conf"};
  EventPtr event = newEvent();
  int setRoleCalls = 0;
  SipdBusService service{[this] {
    SipdHandlers h;
    h.setRole = [this](Role, std::uint64_t) {
      ++setRoleCalls;
      return CallResult::success();
    };
    h.role = [] { return Role::Primary; };
    return h;
  }()};
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(bus_policy, PolicyFixture)

BOOST_AUTO_TEST_CASE(root_calls_others_only_read_properties) {
  BOOST_TEST_REQUIRE(geteuid() == 0u, "the policy test drops privileges and needs root");
  BOOST_TEST_REQUIRE(service.start(event.get()) == 0);
  BOOST_TEST_REQUIRE(
      runUntil(event.get(), [&] { return service.state() != BusState::Connecting; }));
  BOOST_TEST_REQUIRE(busStateName(service.state()) == "ready");

  BusClient root{event.get()};
  const Reply reply = root.call(
      "SetRole", [](sd_bus_message* m) { return sd_bus_message_append(m, "st", "primary", 1); });
  BOOST_TEST(reply.errorName == "");
  BOOST_TEST(setRoleCalls == 1);

  // Exit code bits: 1 cannot connect, 2 Role unreadable, 4 SetRole not denied,
  // 8 GetOptionsSources not denied.
  const int code = runAsNobody(event.get(), [] {
    sd_bus* bus = nullptr;
    if (sd_bus_open_system(&bus) < 0) return 1;
    int result = 0;
    char* role = nullptr;
    sd_bus_error error = SD_BUS_ERROR_NULL;
    if (sd_bus_get_property_string(bus, bus::kServiceName, bus::kObjectPath, bus::kInterface,
                                   "Role", &error, &role) < 0 ||
        std::strcmp(role, "primary") != 0) {
      result |= 2;
    }
    free(role);
    sd_bus_error_free(&error);
    if (!callFailsWith(bus, "SetRole", "st", SD_BUS_ERROR_ACCESS_DENIED, "backup")) result |= 4;
    if (!callFailsWith(bus, "GetOptionsSources", "", SD_BUS_ERROR_ACCESS_DENIED)) result |= 8;
    sd_bus_flush_close_unref(bus);
    return result;
  });
  BOOST_TEST(code == 0);
  BOOST_TEST(setRoleCalls == 1);
}

BOOST_AUTO_TEST_CASE(only_sipd_may_own_the_name) {
  BOOST_TEST_REQUIRE(geteuid() == 0u, "the policy test drops privileges and needs root");
  // Exit code: 0 refused with AccessDenied and reported once, 1 otherwise.
  const int code = runAsNobody(event.get(), [] {
    EventPtr childEvent = newEvent();
    int warnings = 0;
    bool accessDenied = false;
    SipdBusService intruder{SipdHandlers{}, [&](std::string_view w) {
                              ++warnings;
                              accessDenied = w.find(SD_BUS_ERROR_ACCESS_DENIED) != w.npos;
                            }};
    if (intruder.start(childEvent.get()) != 0) return 1;
    runUntil(childEvent.get(), [&] { return intruder.state() != BusState::Connecting; });
    drain(childEvent.get());
    return intruder.state() == BusState::Unavailable && warnings == 1 && accessDenied ? 0 : 1;
  });
  BOOST_TEST(code == 0);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace sipha::control::test
