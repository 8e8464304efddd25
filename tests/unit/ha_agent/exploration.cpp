#include "exploration.hpp"

#include <cstdint>
#include <deque>
#include <functional>
#include <sstream>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace sipha::agent::model {

Hash128 hashOf(std::string_view key) {
  std::uint64_t fnv = 0xcbf29ce484222325ULL;
  for (unsigned char c : key) {
    fnv ^= c;
    fnv *= 0x100000001b3ULL;
  }
  return Hash128{std::hash<std::string_view>{}(key), fnv};
}

namespace {

// Applies a step and keeps it (or shows it).
std::optional<Violation> take(World& world, const Step& step, std::vector<Step>* steps,
                              std::ostream* log = nullptr) {
  if (steps) steps->push_back(step);
  if (log) *log << "  - " << describe(step) << "\n";
  auto violation = world.apply(step, log);
  if (log) *log << "     " << world.summary() << "\n";
  return violation;
}

std::optional<std::size_t> onlyPrimary(const World& world) {
  std::optional<std::size_t> primary;
  for (std::size_t n = 0; n < kNodes; ++n) {
    if (!world.node(n).up || world.node(n).role != Role::Primary) continue;
    if (primary) return std::nullopt;
    primary = n;
  }
  return primary;
}

std::size_t primaries(const World& world) {
  std::size_t count = 0;
  for (std::size_t n = 0; n < kNodes; ++n)
    if (world.node(n).up && world.node(n).role == Role::Primary) ++count;
  return count;
}

// Every fault ends: links heal, the witness comes back.
std::optional<Violation> healAll(World& world, std::vector<Step>* steps,
                                 std::ostream* log = nullptr) {
  std::vector<Step> enabled;
  for (StepKind heal : {StepKind::HealHaLink, StepKind::HealServicePath, StepKind::WitnessUp,
                        StepKind::HealServiceLink, StepKind::HealServiceLink}) {
    world.enabledSteps(0, 0, enabled);
    for (const Step& s : enabled) {
      if (s.kind != heal) continue;
      if (auto v = take(world, s, steps, log)) return v;
      break;
    }
  }
  return std::nullopt;
}

// One calm tick: a drain completes, a backup catches up, then time moves on with every heartbeat
// on time.
std::optional<Violation> calmTick(World& world, std::vector<Step>* steps,
                                  std::ostream* log = nullptr) {
  std::vector<Step> enabled;
  for (StepKind kind : {StepKind::CompleteDrain, StepKind::SipdCatchesUp}) {
    world.enabledSteps(0, 0, enabled);
    for (const Step& s : enabled) {
      if (s.kind != kind) continue;
      if (auto v = take(world, s, steps, log)) return v;
      break;
    }
  }
  return take(world, Step{StepKind::Tick, 0, 0}, steps, log);
}

bool anyHealthy(const World& world) {
  for (std::size_t n = 0; n < kNodes; ++n)
    if (world.healthy(n)) return true;
  return false;
}

}  // namespace

std::optional<Violation> runCalm(World& world, int ticks, std::vector<Step>* steps) {
  if (auto v = healAll(world, steps)) return v;
  for (int t = 0; t < ticks; ++t)
    if (auto v = calmTick(world, steps)) return v;
  return std::nullopt;
}

std::optional<Violation> LivenessCheck::check(const World& start, std::ostream* log) {
  World world = start;
  if (auto v = healAll(world, nullptr, log)) return v;
  // Calm ticks until a tick leaves the state as it was (then it stays so for ever: the calm
  // schedule is deterministic and equal keys behave the same), or until a state whose check
  // already passed (`good`).
  enum class End { Settled, Known };
  std::vector<Hash128> path;
  const auto settle = [&](const std::unordered_set<Hash128, Hash128Hasher>& good,
                          std::optional<std::size_t> keeper, End& end) -> std::optional<Violation> {
    path.clear();
    for (int t = 0; t <= maxTicks_; ++t) {
      if (keeper && onlyPrimary(world) != keeper)
        return Violation{"NoPreemption",
                         "the role moved when a recovered node rejoined: " + world.summary()};
      const Hash128 before = hashOf(world.key());
      if (good.contains(before)) {
        end = End::Known;
        return std::nullopt;
      }
      path.push_back(before);
      if (auto v = calmTick(world, nullptr, log)) return v;
      if (hashOf(world.key()) == before) {
        const auto primary = onlyPrimary(world);
        if (anyHealthy(world) && (!primary || !world.serving(*primary)))
          return Violation{"EventuallyOnePrimary",
                           std::to_string(primaries(world)) +
                               " serving primaries once every fault was over and the pair "
                               "settled: " +
                               world.summary()};
        end = End::Settled;
        return std::nullopt;
      }
    }
    return Violation{"EventuallyOnePrimary", "the pair did not settle in " +
                                                 std::to_string(maxTicks_) +
                                                 " calm ticks: " + world.summary()};
  };
  End end = End::Settled;
  if (auto v = settle(settled_, std::nullopt, end)) return v;
  if (end == End::Known) return std::nullopt;  // this run joined one that passed whole
  const std::vector<Hash128> first = path;
  if (anyHealthy(world)) {
    // The crashed nodes boot and the failed sipds come back: the role stays where it is.
    const auto keeper = onlyPrimary(world);
    std::vector<Step> enabled;
    world.enabledSteps(0, 0, enabled);
    for (const Step& s : enabled) {
      if (s.kind != StepKind::Boot && s.kind != StepKind::SipdRecovers) continue;
      if (auto v = take(world, s, nullptr, log)) return v;
    }
    if (auto v = settle(rejoined_, keeper, end)) return v;
    rejoined_.insert(path.begin(), path.end());
  }
  settled_.insert(first.begin(), first.end());
  return std::nullopt;
}

Root settledPair(const Options& options, int ticks) {
  Root root{"settled pair", {}};
  World world{options};
  for (std::uint8_t n = 0; n < kNodes; ++n) {
    root.prefix.push_back(Step{StepKind::Boot, n, 0});
    world.apply(root.prefix.back());
  }
  runCalm(world, ticks, &root.prefix);
  return root;
}

Result explore(const Options& options, const std::vector<Root>& roots, const Limits& limits) {
  struct Visit {
    std::uint32_t parent;  // UINT32_MAX: a root (step.node names it)
    Step step;
  };
  struct Entry {
    World world;
    std::uint32_t visit;
    int faultsLeft;
    int depth;
    std::uint64_t sample;  // the state's hash: picks the states whose liveness is checked
  };
  Result result;
  LivenessCheck liveness{limits.calmTicks};
  std::unordered_map<Hash128, std::int8_t, Hash128Hasher> visited;
  std::vector<Visit> visits;
  std::deque<Entry> frontier;

  const auto traceOf = [&](std::uint32_t last, const Step* final) {
    std::vector<Step> path;
    if (final) path.push_back(*final);
    std::uint32_t v = last;
    for (; visits[v].parent != UINT32_MAX; v = visits[v].parent) path.push_back(visits[v].step);
    const Root& root = roots[visits[v].step.node];
    std::ostringstream out;
    World world{options};
    for (const Step& s : root.prefix) world.apply(s);
    out << "root \"" << root.name << "\" (" << root.prefix.size() << " steps): " << world.summary()
        << "\n";
    int i = 0;
    for (auto it = path.rbegin(); it != path.rend(); ++it) {
      out << "  " << ++i << ". " << describe(*it) << "\n";
      const auto violation = world.apply(*it, &out);
      out << "     " << world.summary() << "\n";
      if (violation)
        out << "     VIOLATED " << violation->property << ": " << violation->detail << "\n";
    }
    return out.str();
  };

  for (std::size_t r = 0; r < roots.size(); ++r) {
    World world{options};
    for (const Step& s : roots[r].prefix) world.apply(s);
    const Hash128 h = hashOf(world.key());
    if (visited.contains(h)) continue;
    visited.emplace(h, static_cast<std::int8_t>(limits.faultBudget));
    visits.push_back(Visit{UINT32_MAX, Step{StepKind::Tick, static_cast<std::uint8_t>(r), 0}});
    frontier.push_back(Entry{std::move(world), static_cast<std::uint32_t>(visits.size() - 1),
                             limits.faultBudget, 0, h.b});
  }

  std::vector<Step> enabled;
  result.exhausted = true;
  while (!frontier.empty()) {
    Entry entry = std::move(frontier.front());
    frontier.pop_front();
    ++result.states;
    result.deepest = std::max(result.deepest, entry.depth);
    if (limits.calmEvery > 0 && entry.sample % limits.calmEvery == 0) {
      ++result.calmRuns;
      if (auto v = liveness.check(entry.world)) {
        std::ostringstream calm;  // the same run again, shown (what failed was not remembered)
        liveness.check(entry.world, &calm);
        result.violation = v;
        result.exhausted = false;
        result.trace = traceOf(entry.visit, nullptr) + "  then every fault ends:\n" + calm.str() +
                       "     VIOLATED " + v->property + ": " + v->detail + "\n";
        return result;
      }
    }
    if (entry.depth >= limits.maxDepth || result.states >= limits.maxStates) {
      result.exhausted = false;
      continue;
    }
    entry.world.enabledSteps(entry.faultsLeft, limits.faults, enabled);
    std::vector<Step> steps = enabled;
    for (std::size_t i = 0; i < steps.size(); ++i) {
      const Step step = steps[i];
      World next = entry.world;
      ++result.transitions;
      if (auto v = next.apply(step)) {
        result.violation = v;
        result.exhausted = false;
        result.trace = traceOf(entry.visit, &step);
        return result;
      }
      if (step.kind == StepKind::Tick && step.node == 0 && next.tickOrderMatters())
        steps.push_back(Step{StepKind::Tick, 1, step.fates});
      const int faultsLeft = entry.faultsLeft - (isFault(step.kind) ? 1 : 0);
      const Hash128 h = hashOf(next.key());
      auto [it, inserted] = visited.emplace(h, static_cast<std::int8_t>(faultsLeft));
      if (!inserted) {
        if (it->second >= faultsLeft) continue;
        it->second = static_cast<std::int8_t>(faultsLeft);  // reached with more budget left
      }
      visits.push_back(Visit{entry.visit, step});
      frontier.push_back(Entry{std::move(next), static_cast<std::uint32_t>(visits.size() - 1),
                               faultsLeft, entry.depth + 1, h.b});
    }
  }
  return result;
}

}  // namespace sipha::agent::model
