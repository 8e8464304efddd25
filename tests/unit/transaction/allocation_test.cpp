// The hot paths do not allocate: a retransmitted request, a response, a timer-driven
// retransmission, and a schedule/cancel on a warm wheel. A new server transaction costs exactly
// one allocation (the object; keys live inside it). Counted by replacing global operator new.
#define BOOST_TEST_MODULE transaction_allocation
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <new>

#include "layer_fixture.hpp"

namespace {
std::size_t allocations = 0;
}  // namespace

void* operator new(std::size_t size) {
  ++allocations;
  if (void* memory = std::malloc(size == 0 ? 1 : size)) return memory;
  throw std::bad_alloc();
}
void operator delete(void* memory) noexcept { std::free(memory); }
void operator delete(void* memory, std::size_t) noexcept { std::free(memory); }

using namespace sipha::testing;
using namespace sipha::transaction;
using sipha::sip::Method;

namespace {

class NullSink final : public TransportSink {
 public:
  bool send(const sipha::transport::Peer&, std::string_view bytes) override {
    bytesSent += bytes.size();
    return true;
  }
  std::size_t bytesSent = 0;
};

class NullUser final : public TransactionUser {
 public:
  std::string buildAck(const ClientTransaction&, const IncomingResponse&) override { return {}; }
  void onTimeout(ClientTransaction&) override {}
  void onTimeout(ServerTransaction&) override {}
  void onTransportError(Transaction&) override {}
};

struct Setup {
  sipha::timer::ManualClock clock;
  sipha::timer::TimerWheel wheel{clock, 4096};
  NullSink sink;
  NullUser user;
  TransactionLayer layer{wheel, sink, user};
};

// Allocations made while running `body`.
template <typename Body>
std::size_t allocationsDuring(Body&& body) {
  const std::size_t before = allocations;
  body();
  return allocations - before;
}

}  // namespace

BOOST_AUTO_TEST_CASE(hot_paths_do_not_allocate) {
  Setup s;
  const auto invite = makeRequest(Method::Invite, "z9hG4bK-a-typical-branch-of-some-length-42");
  RequestOutcome created;
  BOOST_TEST(allocationsDuring([&] { created = s.layer.receiveRequest(invite); }) == 1u);
  ServerTransaction* tx = created.transaction;
  BOOST_REQUIRE(tx != nullptr);

  std::string response(400, 'r');  // built by the TU before it calls respond()
  BOOST_TEST(allocationsDuring([&] { tx->respond(486, std::move(response)); }) == 0u);
  BOOST_TEST(allocationsDuring([&] { s.layer.receiveRequest(invite); }) == 0u);
  BOOST_TEST(allocationsDuring([&] { runTo(s.clock, s.wheel, at(4000)); }) == 0u);  // Timer G
  BOOST_TEST(s.sink.bytesSent >= 5u * 400u);

  std::string request(500, 'q');
  ClientStart started;
  s.layer.startClient(OutgoingRequest{Method::Options, "z9hG4bKwarm", {}}, std::string(request));
  runTo(s.clock, s.wheel, at(8000));
  const std::size_t forClient = allocationsDuring([&] {
    started =
        s.layer.startClient(OutgoingRequest{Method::Options, "z9hG4bKc", {}}, std::move(request));
  });
  BOOST_TEST(forClient == 1u);
  const auto response200 = makeResponse(200, "z9hG4bKc", Method::Options);
  BOOST_TEST(allocationsDuring([&] { s.layer.receiveResponse(response200); }) == 0u);
  BOOST_TEST(allocationsDuring([&] { s.layer.receiveResponse(response200); }) == 0u);

  sipha::timer::TimerHandle handle;
  BOOST_TEST(allocationsDuring([&] {
               for (int i = 0; i < 1000; ++i) {
                 handle = s.wheel.schedule(std::chrono::milliseconds(i), [] {});
                 s.wheel.cancel(handle);
               }
             }) == 0u);
}
