#pragma once
// Exhaustive exploration of the world model (world.hpp; docs/ha-agent.md, "The exhaustive
// test"): breadth first over every enabled step from each root, with a visited set keyed on the
// normalised state (a 128-bit hash of World::key()); faults are bounded by a budget, the search
// ends when no new state is left. Safety properties are checked on every transition
// (World::apply), the liveness ones from every state by a calm run (LivenessCheck). A violation
// comes with the trace that led to it, replayed with every event and action of both machines.
#include <cstddef>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "world.hpp"

namespace sipha::agent::model {

struct Limits {
  int faultBudget = 2;                // fault steps on one path from a root
  FaultSet faults = kAllFaults;       // which ones
  int maxDepth = 40;                  // steps from a root
  std::size_t maxStates = 1'000'000;  // expanded at most (then not exhausted)
  std::size_t calmEvery = 1;          // liveness from one state in this many (by hash); 0: none
  int calmTicks = 40;                 // a calm phase that has not settled by then fails
};

// A root: the steps that lead there from the empty world (both nodes down), and a name.
struct Root {
  std::string name;
  std::vector<Step> prefix;
};

struct Result {
  std::size_t states = 0;       // distinct states expanded
  std::size_t transitions = 0;  // steps applied
  std::size_t calmRuns = 0;
  int deepest = 0;
  bool exhausted = false;  // no new state was left before the depth or state bound (or a violation)
  std::optional<Violation> violation;
  std::string trace;  // when violated
};

// Runs the world calmly (every fault over, heartbeats on time) for `ticks` ticks, appending the
// steps to `steps`.
std::optional<Violation> runCalm(World& world, int ticks, std::vector<Step>* steps = nullptr);

struct Hash128 {
  std::uint64_t a = 0;
  std::uint64_t b = 0;
  friend bool operator==(const Hash128&, const Hash128&) = default;
};

struct Hash128Hasher {
  std::size_t operator()(const Hash128& h) const noexcept { return h.a; }
};

Hash128 hashOf(std::string_view key);

// The liveness properties from a state: every fault ends and the pair settles (a calm tick
// leaves the state as it was) with exactly one serving primary when a healthy node exists
// (EventuallyOnePrimary); then the crashed nodes boot and the failed sipds come back, and the
// primary stays primary throughout (NoPreemption). States known to end well are remembered.
class LivenessCheck {
 public:
  explicit LivenessCheck(int maxTicks) : maxTicks_(maxTicks) {}
  // `log`: the calm run's steps, events and actions (to show a violation).
  std::optional<Violation> check(const World& start, std::ostream* log = nullptr);

 private:
  int maxTicks_;
  std::unordered_set<Hash128, Hash128Hasher> settled_;
  std::unordered_set<Hash128, Hash128Hasher> rejoined_;
};

// The root "both booted at once, ran calmly until settled".
Root settledPair(const Options& options, int ticks);

Result explore(const Options& options, const std::vector<Root>& roots, const Limits& limits);

}  // namespace sipha::agent::model
