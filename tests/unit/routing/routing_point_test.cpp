// Routing Point DNs: the built-in strategy (targets, strategy, no-answer-timeout, overflow).
#include <boost/test/unit_test.hpp>

#include "test_support.hpp"

using namespace sipha::routing;
using namespace sipha::routing::test;
using sipha::common::Config;
using sipha::common::DnType;
using std::chrono::seconds;

namespace {

Config pointConfig(std::string strategy) {
  Config config;
  addDn(config, "1001", DnType::Extension);
  addDn(config, "1002", DnType::Extension);
  addDn(config, "1003", DnType::Extension);
  addDn(config, "gw", DnType::Trunk, {{"prefix", "0"}, {"contact", "10.0.0.1"}});
  addDn(config, "5000", DnType::RoutingPoint,
        {{"targets", "1001, 1002:30, 1003"},
         {"strategy", std::move(strategy)},
         {"no-answer-timeout", "15"},
         {"overflow", "0301234"}});
  return config;
}

FakeRegistrations allRegistered() {
  FakeRegistrations registrations;
  registrations.add("1001", "sip:1001@192.0.2.1");
  registrations.add("1002", "sip:1002@192.0.2.2");
  registrations.add("1003", "sip:1003@192.0.2.3");
  return registrations;
}

std::vector<std::string> dns(const RouteResult& result) {
  std::vector<std::string> out;
  for (const auto& attempt : result.attempts) out.push_back(attempt.dn);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(routing_point)

BOOST_AUTO_TEST_CASE(ordered_targets_with_timeouts_then_overflow) {
  auto table = buildClean(pointConfig("ordered"));
  auto registrations = allRegistered();
  for (int call = 0; call < 2; ++call) {  // ordered: every call the same
    const auto result = table.route("5000", registrations.lookup(), nullptr);
    BOOST_TEST_REQUIRE(result.status == 0);
    const std::vector<std::string> expected{"1001", "1002", "1003", "gw"};
    BOOST_TEST(dns(result) == expected, boost::test_tools::per_element());
    BOOST_TEST((result.attempts[0].timeout == seconds(15)));
    BOOST_TEST((result.attempts[1].timeout == seconds(30)));  // its own timeout
    BOOST_TEST((result.attempts[2].timeout == seconds(15)));
    BOOST_TEST(result.attempts[3].timeout.count() == 0);  // overflow: no routing point timeout
    BOOST_TEST(result.attempts[3].requestUri == "sip:0301234@10.0.0.1:5060");
    for (std::size_t i = 1; i < result.attempts.size(); ++i) {
      BOOST_TEST(result.attempts[i].group == result.attempts[i - 1].group + 1);
    }
  }
}

BOOST_AUTO_TEST_CASE(default_timeout_is_20_seconds) {
  Config config;
  addDn(config, "1001", DnType::Extension);
  addDn(config, "5000", DnType::RoutingPoint, {{"targets", "1001"}});
  auto table = buildClean(config);
  auto registrations = allRegistered();
  const auto result = table.route("5000", registrations.lookup(), nullptr);
  BOOST_TEST_REQUIRE(result.attempts.size() == 1u);
  BOOST_TEST((result.attempts[0].timeout == seconds(20)));
}

BOOST_AUTO_TEST_CASE(round_robin_rotates_the_first_target) {
  auto table = buildClean(pointConfig("round-robin"));
  auto registrations = allRegistered();
  const std::vector<std::vector<std::string>> expected{{"1001", "1002", "1003", "gw"},
                                                       {"1002", "1003", "1001", "gw"},
                                                       {"1003", "1001", "1002", "gw"},
                                                       {"1001", "1002", "1003", "gw"}};
  for (const auto& order : expected) {
    const auto result = table.route("5000", registrations.lookup(), nullptr);
    BOOST_TEST(dns(result) == order, boost::test_tools::per_element());
  }
  // The timeout follows its target, not its position.
  const auto result = table.route("5000", registrations.lookup(), nullptr);
  BOOST_TEST(result.attempts[0].dn == "1002");
  BOOST_TEST((result.attempts[0].timeout == seconds(30)));
}

BOOST_AUTO_TEST_CASE(round_robin_position_survives_a_reload) {
  auto table = buildClean(pointConfig("round-robin"));
  auto registrations = allRegistered();
  (void)table.route("5000", registrations.lookup(), nullptr);
  auto reloaded = buildClean(pointConfig("round-robin"));
  reloaded.takeCursorsFrom(table);
  BOOST_TEST(reloaded.route("5000", registrations.lookup(), nullptr).attempts[0].dn == "1002");
}

BOOST_AUTO_TEST_CASE(unavailable_targets_skipped) {
  auto table = buildClean(pointConfig("ordered"));
  FakeRegistrations registrations;
  registrations.add("1003", "sip:1003@192.0.2.3");
  const auto result = table.route("5000", registrations.lookup(), nullptr);
  const std::vector<std::string> expected{"1003", "gw"};
  BOOST_TEST(dns(result) == expected, boost::test_tools::per_element());
  BOOST_TEST(result.attempts[0].group == 0u);
}

BOOST_AUTO_TEST_CASE(only_overflow_left) {
  auto table = buildClean(pointConfig("ordered"));
  FakeRegistrations registrations;
  const auto result = table.route("5000", registrations.lookup(), nullptr);
  const std::vector<std::string> expected{"gw"};
  BOOST_TEST(dns(result) == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(nothing_available_is_480) {
  Config config;
  addDn(config, "1001", DnType::Extension);
  addDn(config, "5000", DnType::RoutingPoint, {{"targets", "1001, 9999"}, {"overflow", "1001"}});
  auto table = buildClean(config);
  FakeRegistrations registrations;
  BOOST_TEST(table.route("5000", registrations.lookup(), nullptr).status == 480);
}

BOOST_AUTO_TEST_CASE(nested_routing_point_keeps_its_timeouts) {
  auto config = pointConfig("ordered");
  addDn(config, "6000", DnType::RoutingPoint,
        {{"targets", "5000:40, 1001:5"}, {"no-answer-timeout", "7"}});
  auto table = buildClean(config);
  auto registrations = allRegistered();
  const auto result = table.route("6000", registrations.lookup(), nullptr);
  const std::vector<std::string> expected{"1001", "1002", "1003", "gw", "1001"};
  BOOST_TEST(dns(result) == expected, boost::test_tools::per_element());
  BOOST_TEST((result.attempts[0].timeout == seconds(15)));
  BOOST_TEST((result.attempts[1].timeout == seconds(30)));
  BOOST_TEST((result.attempts[3].timeout == seconds(40)));  // 5000's overflow: 6000's timeout
  BOOST_TEST((result.attempts[4].timeout == seconds(5)));
}

BOOST_AUTO_TEST_CASE(loops_are_cut_and_counted) {
  Config config;
  addDn(config, "1001", DnType::Extension);
  addDn(config, "5000", DnType::RoutingPoint, {{"targets", "1001"}, {"overflow", "5001"}});
  addDn(config, "5001", DnType::RoutingPoint, {{"targets", "5000"}});
  addDn(config, "5002", DnType::RoutingPoint, {{"overflow", "5002"}});
  auto table = buildClean(config);
  auto registrations = allRegistered();
  const auto result = table.route("5000", registrations.lookup(), nullptr);
  BOOST_TEST(result.status == 0);
  BOOST_TEST(result.attempts.size() == 1u);  // 1001 once, not once per loop turn
  BOOST_TEST(table.counters().loops == 1u);
  BOOST_TEST(table.route("5002", registrations.lookup(), nullptr).status == 482);
}

BOOST_AUTO_TEST_CASE(depth_is_bounded) {
  Config config;
  addDn(config, "1001", DnType::Extension);
  // 7000 -> 7001 -> ... -> 7006 -> 1001: deeper than kMaxDepth.
  for (int i = 0; i < 7; ++i) {
    const auto next = i == 6 ? std::string("1001") : std::to_string(7001 + i);
    addDn(config, std::to_string(7000 + i), DnType::RoutingPoint, {{"targets", next}});
  }
  auto table = buildClean(config);
  auto registrations = allRegistered();
  BOOST_TEST(table.route("7000", registrations.lookup(), nullptr).status == 482);
  BOOST_TEST(table.route("7003", registrations.lookup(), nullptr).status == 0);
}

BOOST_AUTO_TEST_CASE(bad_options_reported) {
  Config config;
  addDn(config, "5000", DnType::RoutingPoint,
        {{"targets", "1001:0, 1002:abc, 1003:25"}, {"strategy", "random"}});
  addDn(config, "5001", DnType::RoutingPoint);
  std::vector<BuildError> errors;
  auto table = RoutingTable::build(config, errors);
  BOOST_TEST(errors.size() == 4u);  // two targets, the strategy, 5001 without targets
  addDn(config, "1003", DnType::Extension);
  errors.clear();
  table = RoutingTable::build(config, errors);
  auto registrations = allRegistered();
  const auto result = table.route("5000", registrations.lookup(), nullptr);
  BOOST_TEST_REQUIRE(result.attempts.size() == 1u);
  BOOST_TEST((result.attempts[0].timeout == seconds(25)));
}

BOOST_AUTO_TEST_SUITE_END()
