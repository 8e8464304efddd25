#include <boost/test/unit_test.hpp>
#include <chrono>

#include "test_support.hpp"

using namespace sipha::registrar;
using namespace sipha::registrar::test;

BOOST_AUTO_TEST_SUITE(performance)

// Sanity, not a benchmark: 100,000 AORs with one binding each fit well under 1 KB per binding,
// and registering, refreshing and expiring them all stays fast.
BOOST_AUTO_TEST_CASE(hundred_thousand_bindings) {
  RegistrarOptions options;
  options.acceptUnknown = true;
  Registrar registrar(options, extensions(), digestOptions());
  std::size_t events = 0;
  registrar.setEventSink([&](const Event&) { ++events; });
  constexpr int kCount = 100'000;
  std::vector<std::string> users, uris, callIds;
  users.reserve(kCount);
  uris.reserve(kCount);
  callIds.reserve(kCount);
  for (int i = 0; i < kCount; ++i) {
    users.push_back(std::to_string(100000 + i));
    uris.push_back(cat("sip:", users.back(), "@10.1.", std::to_string(i / 250), ".",
                       std::to_string(i % 250), ":5060;transport=udp"));
    callIds.push_back(cat("3c26700ef8d2-", std::to_string(i), "@10.1.0.1"));
  }
  const auto start = std::chrono::steady_clock::now();
  RegisterRequest r = request("", "", 1);
  r.contacts.resize(1);
  for (int i = 0; i < kCount; ++i) {
    r.aorUser = users[i];
    r.callId = callIds[i];
    r.contacts[0] = contact(uris[i], 600 + i % 3000);
    BOOST_TEST_REQUIRE(registrar.handleRegister(r, kT0).status == 200);
  }
  const auto inserted = std::chrono::steady_clock::now();
  r.cseq = 2;
  for (int i = 0; i < kCount; ++i) {  // refresh all
    r.aorUser = users[i];
    r.callId = callIds[i];
    r.contacts[0] = contact(uris[i], 3600);
    BOOST_TEST_REQUIRE(registrar.handleRegister(r, kT0 + 1).status == 200);
  }
  const auto refreshed = std::chrono::steady_clock::now();
  BOOST_TEST(registrar.bindingCount() == std::size_t(kCount));
  BOOST_TEST(registrar.aorCount() == std::size_t(kCount));
  const std::size_t bytes = registrar.memoryEstimate();
  const double perBinding = double(bytes) / kCount;
  BOOST_TEST_MESSAGE("100k bindings: ~" << bytes / 1024 << " KiB, ~" << perBinding
                                        << " bytes per binding");
  BOOST_TEST(perBinding < 1024.0);

  BOOST_TEST(registrar.expireUntil(kT0 + 1 + 3600) == std::size_t(kCount));
  const auto expired = std::chrono::steady_clock::now();
  BOOST_TEST(registrar.bindingCount() == 0u);
  BOOST_TEST(events == std::size_t(3 * kCount));
  using ms = std::chrono::milliseconds;
  BOOST_TEST_MESSAGE(
      "insert " << std::chrono::duration_cast<ms>(inserted - start).count() << " ms, refresh "
                << std::chrono::duration_cast<ms>(refreshed - inserted).count() << " ms, expire "
                << std::chrono::duration_cast<ms>(expired - refreshed).count() << " ms");
}

BOOST_AUTO_TEST_SUITE_END()
