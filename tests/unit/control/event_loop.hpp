#pragma once
// Drives a real sd-event loop until a condition holds: bounded, no sleeps.
#include <systemd/sd-event.h>

#include <cstdint>
#include <memory>

namespace sipha::control::test {

struct EventUnref {
  void operator()(sd_event* e) const noexcept { sd_event_unref(e); }
};
using EventPtr = std::unique_ptr<sd_event, EventUnref>;

inline EventPtr newEvent() {
  sd_event* e = nullptr;
  if (sd_event_new(&e) < 0) return nullptr;
  return EventPtr{e};
}

// Runs at most `maxTurns` iterations of at most `turnUsec` each (10 s in all by default) and
// returns whether `done()` became true. `done` may be called again after it returned true. Each
// turn returns as soon as an event was dispatched.
template <typename Done>
bool runUntil(sd_event* event, Done&& done, int maxTurns = 400, std::uint64_t turnUsec = 25'000) {
  for (int turn = 0; turn < maxTurns && !done(); ++turn) {
    if (sd_event_run(event, turnUsec) < 0) return false;
  }
  return done();
}

// Dispatches whatever is ready now (timeout 0) until nothing is; returns the number of turns.
inline int drain(sd_event* event, int maxTurns = 100) {
  int turns = 0;
  while (turns < maxTurns && sd_event_run(event, 0) > 0) ++turns;
  return turns;
}

}  // namespace sipha::control::test
