#define BOOST_TEST_MODULE core
#include "core/rate_meter.hpp"

#include <boost/test/unit_test.hpp>
#include <chrono>

namespace {

using sipha::core::RateMeter;
using sipha::timer::TimePoint;
using namespace std::chrono_literals;

TimePoint at(std::chrono::milliseconds ms) { return TimePoint{ms}; }

}  // namespace

BOOST_AUTO_TEST_CASE(empty_meter_reads_zero) {
  RateMeter<10> meter;
  BOOST_TEST(meter.perSecond(at(5000ms)) == 0.0);
}

BOOST_AUTO_TEST_CASE(the_filling_second_is_not_counted_until_it_is_over) {
  RateMeter<10> meter;
  for (int i = 0; i < 50; ++i) meter.record(at(100'000ms + std::chrono::milliseconds(i)));
  BOOST_TEST(meter.perSecond(at(100'999ms)) == 0.0);
  BOOST_TEST(meter.perSecond(at(101'000ms)) == 5.0);  // 50 events over a 10 s window
}

BOOST_AUTO_TEST_CASE(steady_rate_is_measured_over_the_window) {
  RateMeter<10> meter;
  // 20 events per second for 30 s.
  for (int second = 0; second < 30; ++second) {
    for (int i = 0; i < 20; ++i) {
      meter.record(at(std::chrono::milliseconds(1'000'000 + second * 1000 + i * 50)));
    }
  }
  BOOST_TEST(meter.perSecond(at(1'030'000ms)) == 20.0);
}

BOOST_AUTO_TEST_CASE(old_seconds_leave_the_window) {
  RateMeter<10> meter;
  for (int i = 0; i < 100; ++i) meter.record(at(200'000ms));
  BOOST_TEST(meter.perSecond(at(201'000ms)) == 10.0);
  BOOST_TEST(meter.perSecond(at(210'999ms)) == 10.0);  // second 200 is still in the window
  BOOST_TEST(meter.perSecond(at(211'000ms)) == 0.0);   // and now it has left
  meter.record(at(211'500ms));
  BOOST_TEST(meter.perSecond(at(212'000ms)) == 0.1);
}

BOOST_AUTO_TEST_CASE(a_long_silence_clears_every_slot) {
  RateMeter<10> meter;
  for (int second = 0; second < 11; ++second) {
    meter.record(at(std::chrono::milliseconds(300'000 + second * 1000)));
  }
  BOOST_TEST(meter.perSecond(at(311'000ms)) == 1.0);
  BOOST_TEST(meter.perSecond(at(900'000ms)) == 0.0);
  meter.record(at(900'100ms));
  meter.record(at(900'200ms));
  BOOST_TEST(meter.perSecond(at(901'000ms)) == 0.2);
}
