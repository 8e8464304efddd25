// ServiceNotifier against a real notification socket (what systemd listens on for Type=notify).
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include "common/service/service_notifier.hpp"
#include "event_loop.hpp"

namespace sipha::common::test {

using control::test::EventPtr;
using control::test::newEvent;
using control::test::runUntil;
namespace {

// A datagram socket in a temp dir with NOTIFY_SOCKET pointing at it, as systemd provides.
struct NotifySocket {
  std::filesystem::path dir;
  int fd = -1;

  NotifySocket() {
    std::string pattern = (std::filesystem::temp_directory_path() / "sipha-notify-XXXXXX");
    BOOST_TEST_REQUIRE(mkdtemp(pattern.data()) != nullptr);
    dir = pattern;
    const std::string path = (dir / "notify").string();
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    BOOST_TEST_REQUIRE(fd >= 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    BOOST_TEST_REQUIRE(path.size() < sizeof address.sun_path);
    path.copy(address.sun_path, path.size());
    BOOST_TEST_REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    setenv("NOTIFY_SOCKET", path.c_str(), 1);
  }
  ~NotifySocket() {
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
    close(fd);
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }

  // The next datagram if one is queued (sd_notify's sendmsg has already delivered it).
  std::optional<std::string> next() const {
    char buffer[512];
    const ssize_t n = recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n < 0) return std::nullopt;
    return std::string(buffer, static_cast<std::size_t>(n));
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(service_notifier, NotifySocket)

BOOST_AUTO_TEST_CASE(lifecycle_notifications_reach_the_socket) {
  const ServiceNotifier notifier;
  BOOST_TEST(notifier.ready() > 0);
  BOOST_TEST(next().value_or("") == "READY=1");
  BOOST_TEST(notifier.reloading() > 0);
  BOOST_TEST(next().value_or("") == "RELOADING=1");
  BOOST_TEST(notifier.stopping() > 0);
  BOOST_TEST(next().value_or("") == "STOPPING=1");
  BOOST_TEST(!next().has_value());
}

BOOST_AUTO_TEST_CASE(status_is_one_line) {
  const ServiceNotifier notifier;
  BOOST_TEST(notifier.status(ServiceNotifier::statusText("primary", 12)) > 0);
  BOOST_TEST(next().value_or("") == "STATUS=primary, 12 bindings");
  BOOST_TEST(notifier.status("backup\nREADY=1") > 0);  // no key smuggled through the text
  BOOST_TEST(next().value_or("") == "STATUS=backup READY=1");
}

BOOST_AUTO_TEST_CASE(without_notify_socket_calls_are_no_ops) {
  unsetenv("NOTIFY_SOCKET");
  const ServiceNotifier notifier;
  BOOST_TEST(notifier.ready() == 0);
  BOOST_TEST(notifier.status("backup, 0 bindings") == 0);
  BOOST_TEST(!next().has_value());
}

BOOST_AUTO_TEST_CASE(watchdog_pings_come_from_the_event_loop) {
  setenv("WATCHDOG_USEC", "100000", 1);
  setenv("WATCHDOG_PID", std::to_string(getpid()).c_str(), 1);
  EventPtr event = newEvent();
  BOOST_TEST_REQUIRE(ServiceNotifier::enableWatchdog(event.get()) > 0);
  int pings = 0;
  BOOST_TEST(runUntil(event.get(), [&] {
    while (auto datagram = next()) pings += *datagram == "WATCHDOG=1" ? 1 : 0;
    return pings >= 2;
  }));
}

BOOST_AUTO_TEST_CASE(watchdog_stays_off_when_not_requested) {
  unsetenv("WATCHDOG_USEC");
  EventPtr event = newEvent();
  BOOST_TEST(ServiceNotifier::enableWatchdog(event.get()) == 0);
  BOOST_TEST(ServiceNotifier::enableWatchdog(nullptr) < 0);
}

BOOST_AUTO_TEST_CASE(status_text_counts_bindings) {
  BOOST_TEST(ServiceNotifier::statusText("backup", 0) == "backup, 0 bindings");
  BOOST_TEST(ServiceNotifier::statusText("primary", 1) == "primary, 1 binding");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace sipha::common::test
