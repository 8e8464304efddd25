// Not run by default (--run_test=call_throughput): complete calls (INVITE/180/200/ACK/BYE/200)
// through the pure state machine, messages parsed as the daemon would, to see what one core
// spends in the B2BUA logic per call.
#include <chrono>

#include "b2bua/call.hpp"
#include "helpers.hpp"

namespace sipha::b2bua::test {
namespace {

BOOST_AUTO_TEST_SUITE(call_throughput, *boost::unit_test::disabled())

BOOST_AUTO_TEST_CASE(full_calls) {
  constexpr int kCalls = 20000;
  std::string invite = callerInvite();
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kCalls; ++i) {
    CallFixture f;
    Action sent = f.startCall(invite);
    PeerResponse ringing;
    ringing.status = 180;
    ringing.reason = "Ringing";
    f.respondOutbound(sent, ringing);
    f.respondOutbound(sent, CallFixture::ok200());
    f.requestIn(LegId::Inbound, callerRequest(f.call, "ACK", 10, {}, {}, "z9hG4bKack"));
    f.requestIn(LegId::Inbound, callerRequest(f.call, "BYE", 11));
    Action bye = *request(f.out, LegId::Outbound, sip::Method::Bye);
    f.respondOutbound(bye, PeerResponse{});
    BOOST_REQUIRE(f.call.ended());
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  BOOST_TEST_MESSAGE(kCalls / seconds << " calls/s (including building the peers' messages)");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace sipha::b2bua::test
