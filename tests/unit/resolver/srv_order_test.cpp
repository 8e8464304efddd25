// RFC 2782 "Usage rules": priority first, then a weighted random choice, with the draws given.
#include <boost/test/unit_test.hpp>
#include <deque>

#include "resolver/srv_order.hpp"

namespace sipha::resolver {
namespace {

SrvRecord srv(std::uint16_t priority, std::uint16_t weight, std::string target) {
  SrvRecord r;
  r.priority = priority;
  r.weight = weight;
  r.port = 5060;
  r.target = std::move(target);
  return r;
}

// Returns the scripted draws in turn and records the bounds asked for.
struct ScriptedRandom {
  std::deque<std::uint32_t> draws;
  std::vector<std::uint32_t> bounds;
  RandomSource source() {
    return [this](std::uint32_t upper) {
      bounds.push_back(upper);
      const std::uint32_t value = draws.empty() ? 0 : draws.front();
      if (!draws.empty()) draws.pop_front();
      return value;
    };
  }
};

std::vector<std::string> targets(const std::vector<SrvRecord>& records) {
  std::vector<std::string> out;
  for (const auto& r : records) out.push_back(r.target);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(srv_ordering)

BOOST_AUTO_TEST_CASE(lower_priority_first) {
  ScriptedRandom random;
  const auto ordered = orderSrv(
      {srv(20, 0, "c"), srv(10, 0, "a"), srv(30, 0, "d"), srv(10, 0, "b")}, random.source());
  BOOST_TEST(targets(ordered) == (std::vector<std::string>{"a", "b", "c", "d"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(weights_select_by_running_sum) {
  // Weights 10 (a), 30 (b), 60 (c): running sums 10, 40, 100, draw in [0, 99]. Draw 40 -> c
  // (the first sum above 40); then a=10, b=30 in [0, 39]: draw 11 -> b; then a alone.
  ScriptedRandom random;
  random.draws = {40, 11, 0};
  const auto ordered =
      orderSrv({srv(1, 10, "a"), srv(1, 30, "b"), srv(1, 60, "c")}, random.source());
  BOOST_TEST(targets(ordered) == (std::vector<std::string>{"c", "b", "a"}),
             boost::test_tools::per_element());
  BOOST_TEST(random.bounds == (std::vector<std::uint32_t>{99, 39, 9}),
             boost::test_tools::per_element());
  ScriptedRandom low;
  low.draws = {9, 0};
  const auto first = orderSrv({srv(1, 10, "a"), srv(1, 30, "b"), srv(1, 60, "c")}, low.source());
  BOOST_TEST(first.front().target == "a");
}

BOOST_AUTO_TEST_CASE(zero_weight_records_come_after_the_weighted_ones) {
  for (const std::uint32_t draw : {0u, 49u}) {
    ScriptedRandom random;
    random.draws = {draw};
    const auto ordered =
        orderSrv({srv(1, 0, "zero"), srv(1, 50, "heavy"), srv(2, 5, "next")}, random.source());
    BOOST_TEST(targets(ordered) == (std::vector<std::string>{"heavy", "zero", "next"}),
               boost::test_tools::per_element());
  }
  // All of weight 0: kept in the order given, no draw.
  ScriptedRandom none;
  const auto zeros = orderSrv({srv(1, 0, "x"), srv(1, 0, "y")}, none.source());
  BOOST_TEST(targets(zeros) == (std::vector<std::string>{"x", "y"}),
             boost::test_tools::per_element());
  BOOST_TEST(none.bounds.empty());
}

BOOST_AUTO_TEST_CASE(the_distribution_follows_the_weights) {
  // With the real random source, a 1:3 weighting gives 25% / 75% first places (1000 of 4000
  // expected, standard deviation about 27).
  const RandomSource random = defaultRandomSource();
  int lightFirst = 0;
  for (int i = 0; i < 4000; ++i) {
    const auto ordered = orderSrv({srv(1, 1, "light"), srv(1, 3, "heavy")}, random);
    if (ordered.front().target == "light") ++lightFirst;
  }
  BOOST_TEST(lightFirst > 850);
  BOOST_TEST(lightFirst < 1150);
}

BOOST_AUTO_TEST_CASE(a_dot_target_means_no_service) {
  ScriptedRandom random;
  BOOST_TEST(orderSrv({srv(0, 0, ".")}, random.source()).empty());
  const auto ordered = orderSrv({srv(0, 0, "."), srv(5, 0, "gw")}, random.source());
  BOOST_TEST(targets(ordered) == (std::vector<std::string>{"gw"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(out_of_range_draws_are_clamped) {
  ScriptedRandom random;
  random.draws = {1000000, 1000000};
  const auto ordered = orderSrv({srv(1, 1, "a"), srv(1, 1, "b")}, random.source());
  BOOST_TEST(ordered.size() == 2u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace sipha::resolver
