// The replay window and the boots above it.
#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <random>
#include <set>

#include "heartbeat/replay_window.hpp"

namespace hb = sipha::agent::heartbeat;
using hb::Admission;
using hb::ReplayWindow;
using Verdict = ReplayWindow::Verdict;

BOOST_AUTO_TEST_SUITE(replay_window)

BOOST_AUTO_TEST_CASE(each_sequence_number_once) {
  ReplayWindow w;
  for (std::uint64_t s = 1; s <= 3000; ++s) BOOST_TEST_REQUIRE((w.admit(s) == Verdict::Fresh));
  BOOST_TEST((w.admit(3000) == Verdict::Duplicate));
  BOOST_TEST((w.admit(2999) == Verdict::Duplicate));
  BOOST_TEST((w.admit(3000 - ReplayWindow::kSize + 1) == Verdict::Duplicate));
  BOOST_TEST((w.admit(3000 - ReplayWindow::kSize) == Verdict::TooOld));
  BOOST_TEST((w.admit(1) == Verdict::TooOld));
  BOOST_TEST(w.highest() == 3000u);
}

BOOST_AUTO_TEST_CASE(out_of_order_within_the_window_accepted_once) {
  ReplayWindow w;
  BOOST_TEST((w.admit(2000) == Verdict::Fresh));
  // Every number of the window behind it, in reverse, once.
  for (std::uint64_t s = 1999; s > 2000 - ReplayWindow::kSize; --s) {
    BOOST_TEST_REQUIRE((w.admit(s) == Verdict::Fresh), s);
    BOOST_TEST_REQUIRE((w.admit(s) == Verdict::Duplicate), s);
  }
  BOOST_TEST((w.admit(2000 - ReplayWindow::kSize) == Verdict::TooOld));
  BOOST_TEST((w.admit(2001) == Verdict::Fresh));
  BOOST_TEST((w.admit(2000 - ReplayWindow::kSize + 1) == Verdict::TooOld));  // slid past it
}

BOOST_AUTO_TEST_CASE(a_jump_forgets_nothing_it_should_remember) {
  ReplayWindow w;
  BOOST_TEST((w.admit(5) == Verdict::Fresh));
  BOOST_TEST((w.admit(70) == Verdict::Fresh));
  // Far ahead: the whole ring is cleared, numbers in the new window are fresh, the old refused.
  const std::uint64_t far = 1'000'000;
  BOOST_TEST((w.admit(far) == Verdict::Fresh));
  BOOST_TEST((w.admit(70) == Verdict::TooOld));
  for (std::uint64_t s = far - ReplayWindow::kSize + 1; s < far; ++s) {
    BOOST_TEST_REQUIRE((w.admit(s) == Verdict::Fresh), s);
  }
  // Jumps of exactly one block, and of the ring's size, keep the window's bits right.
  ReplayWindow v;
  BOOST_TEST((v.admit(64) == Verdict::Fresh));
  BOOST_TEST((v.admit(128) == Verdict::Fresh));
  BOOST_TEST((v.admit(64) == Verdict::Duplicate));
  BOOST_TEST((v.admit(128 + 17 * 64) == Verdict::Fresh));
  BOOST_TEST((v.admit(128) == Verdict::TooOld));
  BOOST_TEST((v.admit(128 + 17 * 64 - 1) == Verdict::Fresh));
}

BOOST_AUTO_TEST_CASE(agrees_with_a_model) {
  // A set of everything accepted and the highest: the specification the bitmap must equal.
  std::mt19937_64 random(11);
  for (int run = 0; run < 20; ++run) {
    ReplayWindow w;
    std::set<std::uint64_t> seen;
    std::uint64_t highest = 0;
    std::uint64_t front = 1;
    for (int i = 0; i < 20000; ++i) {
      // Mostly near the front (both directions), sometimes a jump ahead.
      const std::uint64_t r = random() % 100;
      if (r < 5) front += random() % 3000;
      if (r < 60) ++front;
      const std::uint64_t back = random() % 1500;
      const std::uint64_t seq = front > back ? front - back : 1;
      Verdict expected;
      if (seen.count(seq) != 0 && highest - seq < ReplayWindow::kSize) {
        expected = Verdict::Duplicate;
      } else if (seq <= highest && highest - seq >= ReplayWindow::kSize) {
        expected = Verdict::TooOld;
      } else {
        expected = Verdict::Fresh;
      }
      const Verdict got = w.admit(seq);
      BOOST_TEST_REQUIRE((got == expected), "run " << run << " step " << i << " seq " << seq);
      if (got == Verdict::Fresh) {
        seen.insert(seq);
        highest = std::max(highest, seq);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(boots) {
  hb::SenderHistory h;
  std::uint64_t order = 0;
  BOOST_TEST((h.admit(10, 1, order) == Admission::NewBoot));
  BOOST_TEST(order == 1u);
  BOOST_TEST((h.admit(10, 3, order) == Admission::Fresh));
  BOOST_TEST(order == 3u);
  BOOST_TEST((h.admit(10, 2, order) == Admission::Fresh));
  BOOST_TEST(order == 2u);
  BOOST_TEST((h.admit(10, 3, order) == Admission::Duplicate));
  // The sender restarts: boot 11 counts from 1 again, and orders after all of boot 10.
  BOOST_TEST((h.admit(11, 1, order) == Admission::NewBoot));
  BOOST_TEST(order == 4u);
  BOOST_TEST(h.boot() == 11u);
  BOOST_TEST((h.admit(11, 2, order) == Admission::Fresh));
  BOOST_TEST(order == 5u);
  // Boot 10's heartbeats, played back: refused, the window and the order unchanged.
  for (std::uint64_t s = 1; s <= 5; ++s) {
    std::uint64_t untouched = 99;
    BOOST_TEST((h.admit(10, s, untouched) == Admission::OldBoot));
    BOOST_TEST(untouched == 99u);
  }
  BOOST_TEST((h.admit(11, 3, order) == Admission::Fresh));
  BOOST_TEST(order == 6u);
  BOOST_TEST(h.highestOrder() == 6u);
}

BOOST_AUTO_TEST_CASE(a_persisted_floor_refuses_older_boots_from_the_start) {
  hb::SenderHistory h(20);
  std::uint64_t order = 0;
  BOOST_TEST((h.admit(19, 7, order) == Admission::OldBoot));
  BOOST_TEST((h.admit(20, 7, order) == Admission::Fresh));  // the boot running when we stopped
  BOOST_TEST((h.admit(20, 7, order) == Admission::Duplicate));
  BOOST_TEST((h.admit(21, 1, order) == Admission::NewBoot));
}

BOOST_AUTO_TEST_CASE(the_order_saturates_rather_than_wraps) {
  hb::SenderHistory h;
  std::uint64_t order = 0;
  const std::uint64_t big = std::uint64_t{1} << 62;
  std::uint64_t last = 0;
  for (std::uint64_t boot = 1; boot <= 6; ++boot) {
    BOOST_TEST_REQUIRE((h.admit(boot, big, order) == Admission::NewBoot));
    BOOST_TEST_REQUIRE(order >= last);
    last = order;
  }
  BOOST_TEST(order == ~std::uint64_t{0});
}

BOOST_AUTO_TEST_SUITE_END()
