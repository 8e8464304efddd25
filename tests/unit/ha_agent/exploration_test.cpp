// The exhaustive exploration (docs/ha-agent.md, "The exhaustive test"): two RoleMachines in the
// world model of world.hpp, every enabled step from each root, every reachable state checked.
// Each case prints what it explored. The fault budgets fit a Debug build in about 25 s; for the
// deep runs of docs/ha-agent.md (minutes in a Release build), SIPHA_HA_EXPLORE_BUDGET=n raises
// every budget to n and SIPHA_HA_EXPLORE_FAULTS=all gives every case every fault.
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>

#include "exploration.hpp"

namespace sipha::agent::model {
namespace {

constexpr FaultSet kNetwork = faultBit(StepKind::CutHaLink) | faultBit(StepKind::CutServicePath) |
                              faultBit(StepKind::CutServiceLink) | faultBit(StepKind::WitnessDown) |
                              faultBit(StepKind::Crash);
// A hung sipd is the same event to the decision as a dead one (LocalSipdState: failing); the
// unit tests take both.
constexpr FaultSet kProcesses = faultBit(StepKind::SipdDies) | faultBit(StepKind::SipdFallsBehind) |
                                faultBit(StepKind::Switchover) | faultBit(StepKind::CutHaLink) |
                                faultBit(StepKind::Crash);

const char* deep() { return std::getenv("SIPHA_HA_EXPLORE_BUDGET"); }

Result run(const std::string& name, const Options& options, const std::vector<Root>& roots,
           FaultSet faults, int faultBudget) {
  Limits limits;
  const char* all = std::getenv("SIPHA_HA_EXPLORE_FAULTS");
  limits.faults = all && std::string_view{all} == "all" ? kAllFaults : faults;
  limits.faultBudget = deep() ? std::max(faultBudget, std::atoi(deep())) : faultBudget;
  limits.maxDepth = 100;  // every case below runs out of new states long before
  // A machine whose epochs or timers never settle makes the space grow without end: stop there
  // (the case fails as not exhausted). Four times the largest case's states.
  limits.maxStates = deep() ? 50'000'000 : 800'000;
  const auto started = std::chrono::steady_clock::now();
  Result result = explore(options, roots, limits);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  std::cout << name << " (fault budget " << limits.faultBudget << "): " << result.states
            << " states, " << result.transitions << " transitions, " << result.calmRuns
            << " liveness checks, depth " << result.deepest
            << (result.violation   ? ", stopped at a violation"
                : result.exhausted ? ", exhausted"
                                   : ", NOT exhausted")
            << ", " << took.count() << " ms\n";
  return result;
}

BOOST_AUTO_TEST_SUITE(exploration)

// A settled pair (a primary, b a ready backup) through every partition of the two paths, the
// witness, a node's service link, crashes and restarts, with heartbeats lost and late.
BOOST_AUTO_TEST_CASE(a_settled_pair_through_network_faults_and_crashes) {
  const Options options = modelOptions();
  const Result result =
      run("settled pair, network faults", options, {settledPair(options, 20)}, kNetwork, 2);
  if (result.violation) std::cout << result.trace;
  BOOST_TEST(!result.violation.has_value());
  BOOST_TEST(result.exhausted);
}

// The same pair through its sipds dying and falling behind, operator switchovers (on either
// node, the backup ready or not), with the HA link cut and crashes.
BOOST_AUTO_TEST_CASE(a_settled_pair_through_sipd_faults_and_switchovers) {
  const Options options = modelOptions();
  const Result result = run("settled pair, sipd faults and switchovers", options,
                            {settledPair(options, 20)}, kProcesses, 2);
  if (result.violation) std::cout << result.trace;
  BOOST_TEST(!result.violation.has_value());
  BOOST_TEST(result.exhausted);
}

// Both nodes down; each boots whenever (together, or one long after the other): the start-up
// wait, the tie-break, a node booting next to a primary; with the two paths between them cut
// (both nodes still reach the witness: only the service address check stands between them and
// two primaries), or one of them crashing on the way (and booting again whenever).
BOOST_AUTO_TEST_CASE(two_nodes_booting_in_any_order_partitioned_or_not) {
  const Options options = modelOptions();
  const Root bothDown{"both down", {}};
  const Result partitioned =
      run("both nodes booting, partitions", options, {bothDown},
          faultBit(StepKind::CutHaLink) | faultBit(StepKind::CutServicePath), 2);
  if (partitioned.violation) std::cout << partitioned.trace;
  BOOST_TEST(!partitioned.violation.has_value());
  BOOST_TEST(partitioned.exhausted);
  const Result crashing =
      run("both nodes booting, a crash", options, {bothDown}, faultBit(StepKind::Crash), 1);
  if (crashing.violation) std::cout << crashing.trace;
  BOOST_TEST(!crashing.violation.has_value());
  BOOST_TEST(crashing.exhausted);
}

// The partition the service address check is there for, with a probe that cannot see the
// other node (a driver without a signal, or a fault that blocks the probe too): the
// exploration must find two serving primaries. This is the unprotected case of
// docs/ha-agent.md, and the proof that the property is checked.
BOOST_AUTO_TEST_CASE(without_the_service_address_check_a_partition_makes_two_primaries) {
  Options options = modelOptions();
  options.probeSeesPeer = false;
  const Result result = run("settled pair, blind service address probe", options,
                            {settledPair(options, 20)}, kNetwork, 2);
  BOOST_REQUIRE(result.violation.has_value());
  BOOST_TEST(result.violation->property == "NoTwoServingPrimaries");
  std::cout << "found as expected: " << result.violation->property << ": "
            << result.violation->detail << "\n"
            << result.trace;
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace sipha::agent::model
