// The desired state and the planner: only the difference is changed, a converged kernel gives an
// empty plan, foreign routes stay, the VIP follows the role.
// GCC 12 at -O3 reports -Wmaybe-uninitialized inside std::string for brace-initialised
// aggregates pushed into vectors here (a known false positive, GCC bug 105562).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <sys/socket.h>

#include <boost/test/unit_test.hpp>
#include <string>

#include "common/config/config_loader.hpp"
#include "kernel/desired_state.hpp"
#include "kernel/reconcile_plan.hpp"

namespace sipha::netcfg::kernel {
namespace {

struct Node {
  common::Config config;
  NetworkConfig network;
};

Node makeNode(const std::string& mode = "takeover") {
  auto loaded = common::loadConfigText(
      "[TServer]\nsip-address = 198.51.100.10\nsip-interface = 198.51.100.1\n[network]\n"
      "mode = " +
          mode +
          "\nservice-link = eth0\nservice-address = 198.51.100.1/24\n"
          "service-mtu = 1400\nha-link = ha0\nha-address = 2001:db8:ff::1/64\n"
          "gateway = 198.51.100.254\nroutes = 203.0.113.0/24 via 198.51.100.253\n",
      "n.ini");
  BOOST_REQUIRE(loaded.config);
  auto network = parseNetworkConfig(*loaded.config);
  BOOST_REQUIRE(network.config);
  return {*loaded.config, *network.config};
}

// The kernel after a complete apply of `desired`.
ObservedState converged(const DesiredState& desired) {
  ObservedState state;
  int index = 1;
  for (const auto& link : desired.links) {
    state.links.push_back({link.name, index++, true, link.mtu.value_or(1500), {}});
  }
  for (const auto& address : desired.addresses)
    state.addresses.push_back({address.link, address.prefix});
  for (const auto& route : desired.routes) {
    state.routes.push_back({route.destination, route.gateway, "eth0", kRouteProtocol});
  }
  return state;
}

std::vector<std::string> described(const Plan& plan) {
  std::vector<std::string> lines;
  for (const auto& action : plan.actions) lines.push_back(action.describe());
  return lines;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(reconcile_plan)

BOOST_AUTO_TEST_CASE(desired_state_follows_the_role) {
  const Node node = makeNode();
  const DesiredState backup = desiredState(node.config, node.network, false);
  BOOST_REQUIRE(backup.links.size() == 2u);
  BOOST_TEST(backup.links[0].name == "eth0");
  BOOST_TEST(*backup.links[0].mtu == 1400u);
  BOOST_TEST(backup.addresses.size() == 2u);
  BOOST_REQUIRE(backup.absentAddresses.size() == 1u);
  BOOST_TEST(backup.absentAddresses[0].prefix.address == "198.51.100.10");
  BOOST_TEST(backup.absentAddresses[0].prefix.length == 32);
  BOOST_REQUIRE(backup.routes.size() == 2u);
  BOOST_TEST(backup.routes[0].destination.address == "0.0.0.0");
  BOOST_TEST(backup.routes[0].destination.length == 0);

  const DesiredState primary = desiredState(node.config, node.network, true);
  BOOST_TEST(primary.absentAddresses.empty());
  BOOST_REQUIRE(primary.addresses.size() == 3u);
  BOOST_TEST(primary.addresses[2].purpose == "vip");
  BOOST_TEST(primary.addresses[2].link == "eth0");

  const DesiredState neutral = desiredStateWithoutVip(node.config, node.network);
  BOOST_TEST(neutral.addresses.size() == 2u);
  BOOST_TEST(neutral.absentAddresses.empty());
}

BOOST_AUTO_TEST_CASE(bigip_mode_has_no_vip) {
  const Node node = makeNode("bigip");
  BOOST_TEST(!vipAddress(node.config, node.network).has_value());
  const DesiredState state = desiredState(node.config, node.network, true);
  BOOST_TEST(state.addresses.size() == 2u);
  BOOST_TEST(state.absentAddresses.empty());
}

BOOST_AUTO_TEST_CASE(empty_kernel_gets_everything_in_order) {
  const Node node = makeNode();
  const DesiredState desired = desiredState(node.config, node.network, true);
  ObservedState empty;
  empty.links = {{"eth0", 2, false, 1500, {}}, {"ha0", 3, false, 1500, {}}};
  const auto lines = described(planChanges(desired, empty));
  const std::vector<std::string> expected = {
      "link eth0 mtu set to 1400",
      "link eth0 set up",
      "link ha0 set up",
      "address 198.51.100.1/24 (service) added on eth0",
      "address 2001:db8:ff::1/64 (ha) added on ha0",
      "address 198.51.100.10/32 (vip) added on eth0",
      "route 0.0.0.0/0 via 198.51.100.254 added",
      "route 203.0.113.0/24 via 198.51.100.253 added",
  };
  BOOST_TEST(lines == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(converged_kernel_plans_nothing) {
  const Node node = makeNode();
  const DesiredState desired = desiredState(node.config, node.network, true);
  ObservedState state = converged(desired);
  // Foreign state the planner must leave alone.
  state.addresses.push_back({"eth0", {"fe80::1", 64, AF_INET6}});
  state.routes.push_back({{"10.99.0.0", 16, AF_INET}, "198.51.100.250", "eth0", 3});
  const Plan plan = planChanges(desired, state);
  BOOST_TEST(plan.actions.empty());
  BOOST_TEST(plan.problems.empty());
}

BOOST_AUTO_TEST_CASE(differences_only) {
  const Node node = makeNode();
  const DesiredState desired = desiredState(node.config, node.network, false);
  ObservedState state = converged(desired);
  state.links[0].mtu = 1500;
  state.links[1].up = false;
  state.addresses[0].prefix.length = 16;                                // wrong prefix length
  state.addresses.push_back({"eth0", {"198.51.100.10", 32, AF_INET}});  // VIP while backup
  state.routes[0].gateway = "198.51.100.9";  // default via another gateway
  state.routes.push_back({{"10.50.0.0", 16, AF_INET}, "198.51.100.7", "eth0", kRouteProtocol});
  const auto lines = described(planChanges(desired, state));
  const std::vector<std::string> expected = {
      "link eth0 mtu set to 1400",
      "link ha0 set up",
      "address 198.51.100.1/16 (service) removed from eth0",
      "address 198.51.100.1/24 (service) added on eth0",
      "address 198.51.100.10/32 (vip) removed from eth0",
      "route 0.0.0.0/0 via 198.51.100.254 replaced",
      "route 10.50.0.0/16 via 198.51.100.7 removed",
  };
  BOOST_TEST(lines == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(missing_link_is_a_problem_not_an_action) {
  const Node node = makeNode();
  const DesiredState desired = desiredState(node.config, node.network, false);
  ObservedState state;
  state.links = {{"eth0", 2, true, 1400, {}}};
  const Plan plan = planChanges(desired, state);
  BOOST_REQUIRE(plan.problems.size() == 1u);
  BOOST_TEST(plan.problems[0] == "link ha0 does not exist");
  for (const auto& action : plan.actions) BOOST_TEST(action.link != "ha0");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace sipha::netcfg::kernel
