#include "core/auth_failure_table.hpp"

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <string>

namespace {

using sipha::common::IpAddress;
using sipha::core::AuthFailureTable;
using sipha::timer::TimePoint;
using namespace std::chrono_literals;

TimePoint at(std::chrono::milliseconds ms) { return TimePoint{ms}; }

IpAddress ip(const std::string& text) { return IpAddress::parse(text).value(); }

AuthFailureTable table(std::uint32_t limit, std::size_t capacity = 4096) {
  return AuthFailureTable({limit, 60s, capacity});
}

}  // namespace

BOOST_AUTO_TEST_SUITE(auth_failure_table)

BOOST_AUTO_TEST_CASE(limit_failures_within_the_window_block_the_source_for_the_window) {
  AuthFailureTable failures = table(3);
  const IpAddress attacker = ip("192.0.2.66");
  BOOST_TEST(!failures.recordFailure(attacker, at(1000ms)).blocked);
  BOOST_TEST(!failures.recordFailure(attacker, at(2000ms)).blocked);
  BOOST_TEST(!failures.blocked(attacker, at(2500ms)));
  BOOST_TEST(failures.recordFailure(attacker, at(3000ms)).blocked);  // the third: blocked
  BOOST_TEST(failures.blocked(attacker, at(3000ms)));
  BOOST_TEST(failures.blocked(attacker, at(62'999ms)));         // 60 s from the third failure
  BOOST_TEST(!failures.blocked(ip("192.0.2.67"), at(4000ms)));  // only that source
  BOOST_TEST(!failures.blocked(attacker, at(63'000ms)));
  // A new window: three more guesses before the next block.
  BOOST_TEST(!failures.recordFailure(attacker, at(63'100ms)).blocked);
  BOOST_TEST(!failures.recordFailure(attacker, at(63'200ms)).blocked);
  BOOST_TEST(failures.recordFailure(attacker, at(63'300ms)).blocked);
}

BOOST_AUTO_TEST_CASE(failures_spread_wider_than_the_window_never_block) {
  AuthFailureTable failures = table(3);
  const IpAddress phone = ip("2001:db8::7");
  for (int i = 0; i < 20; ++i) {
    BOOST_TEST(!failures.recordFailure(phone, at(std::chrono::milliseconds(i * 31'000))).blocked);
  }
  BOOST_TEST(!failures.blocked(phone, at(600s)));
  // A source with nothing left to remember leaves the table when it is looked at.
  BOOST_TEST(failures.size() == 1u);
  BOOST_TEST(!failures.blocked(phone, at(2000s)));
  BOOST_TEST(failures.size() == 0u);
}

BOOST_AUTO_TEST_CASE(limit_zero_tracks_nothing) {
  AuthFailureTable failures = table(0);
  for (int i = 0; i < 100; ++i) failures.recordFailure(ip("192.0.2.1"), at(1s));
  BOOST_TEST(!failures.blocked(ip("192.0.2.1"), at(1s)));
  BOOST_TEST(failures.size() == 0u);
}

BOOST_AUTO_TEST_CASE(the_table_is_bounded_and_evicts_the_least_recently_seen_source) {
  AuthFailureTable failures = table(2, 16);
  const IpAddress attacker = ip("198.51.100.1");
  failures.recordFailure(attacker, at(1s));
  failures.recordFailure(attacker, at(1s));
  BOOST_REQUIRE(failures.blocked(attacker, at(1s)));
  // A client cycling through 10,000 addresses (one failure each) never grows the table past
  // its capacity; every new address past it evicts one.
  std::size_t evictions = 0;
  for (int i = 0; i < 10000; ++i) {
    const IpAddress spoofed =
        ip("10." + std::to_string(i / 256 % 256) + "." + std::to_string(i % 256) + ".1");
    evictions += failures.recordFailure(spoofed, at(2s)).evicted ? 1 : 0;
    BOOST_REQUIRE(failures.size() <= 16u);
    // The blocked attacker keeps sending: recently seen, it stays in the table.
    if (i % 8 == 0) BOOST_REQUIRE(failures.blocked(attacker, at(2s)));
  }
  BOOST_TEST(failures.size() == 16u);
  BOOST_TEST(evictions == 10000u - 15u);
  BOOST_TEST(failures.blocked(attacker, at(3s)));
}

BOOST_AUTO_TEST_CASE(a_smaller_capacity_on_reload_drops_the_oldest_sources) {
  AuthFailureTable failures = table(5, 100);
  for (int i = 0; i < 50; ++i) {
    failures.recordFailure(ip("10.0.0." + std::to_string(i)), at(std::chrono::seconds(i)));
  }
  failures.configure({5, 60s, 16});
  BOOST_TEST(failures.size() == 16u);
  failures.configure({0, 60s, 16});
  BOOST_TEST(failures.size() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
