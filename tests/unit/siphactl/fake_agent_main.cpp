// siphactl_fake_agent: the stand-in agent (fake_agent.hpp) as a process, for
// tests/integration/test_siphactl.py and the policy test. Connects to $DBUS_SYSTEM_BUS_ADDRESS,
// prints "ready" once it owns org.sipha.Agent1, runs until SIGTERM or SIGINT.
#include <signal.h>
#include <systemd/sd-event.h>

#include <cstdio>
#include <cstring>

#include "fake_agent.hpp"

int main() {
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  sigprocmask(SIG_BLOCK, &stop, nullptr);
  sd_event* event = nullptr;
  if (sd_event_new(&event) < 0) return 1;
  sd_event_add_signal(event, nullptr, SIGTERM, nullptr, nullptr);
  sd_event_add_signal(event, nullptr, SIGINT, nullptr, nullptr);
  int code = 0;
  {
    sipha::siphactl::test::FakeAgent agent{event, sipha::siphactl::test::healthyPrimary(), {}};
    const int r = agent.start();
    if (r < 0) {
      std::fprintf(stderr, "siphactl_fake_agent: cannot serve org.sipha.Agent1: %s\n",
                   std::strerror(-r));
      code = 1;
    } else {
      std::printf("ready\n");
      std::fflush(stdout);
      code = sd_event_loop(event);
    }
  }
  sd_event_unref(event);
  return code;
}
