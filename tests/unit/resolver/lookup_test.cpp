// The RFC 3263 section 4 steps and the resolver's cache, de-duplication and cancellation, over a
// backend the test answers by hand, on a real sd-event loop and a manual clock.
#include <boost/test/unit_test.hpp>
#include <memory>

#include "fake_backend.hpp"
#include "resolver/resolver.hpp"
#include "transport/peer_format.hpp"

namespace sipha::resolver {
namespace {

using std::chrono::seconds;
using test::FakeBackend;

struct Fixture {
  Fixture(ResolverSettings settings = {}) {
    sd_event_new(&event);
    auto owned = std::make_unique<FakeBackend>();
    dns = owned.get();
    resolver = std::make_unique<Resolver>(event, clock, settings, std::move(owned),
                                          [](std::uint32_t) { return 0u; });
  }
  ~Fixture() {
    resolver.reset();
    sd_event_unref(event);
  }

  NextHopQuery uri(std::string_view text) {
    NextHopQuery q;
    BOOST_REQUIRE(queryFromUri(text, q));
    return q;
  }
  // Starts a request whose result lands in `out` (and counts the callbacks).
  ResolveHandle start(const NextHopQuery& q, ResolveResult& out, int& calls) {
    return resolver->resolve(q, [&out, &calls](const ResolveResult& r) {
      out = r;
      ++calls;
    });
  }
  void spin() {
    test::runUntil(
        event, [] { return false; }, 3, 0);
  }

  sd_event* event = nullptr;
  timer::ManualClock clock;
  FakeBackend* dns = nullptr;
  std::unique_ptr<Resolver> resolver;
};

std::vector<std::string> peers(const ResolveResult& r) {
  std::vector<std::string> out;
  for (const auto& p : r.peers) out.push_back(transport::formatPeer(p));
  return out;
}

using Strings = std::vector<std::string>;

}  // namespace

BOOST_AUTO_TEST_SUITE(lookup)

BOOST_AUTO_TEST_CASE(numeric_hosts_answer_from_the_loop_without_lookup) {
  Fixture f;
  ResolveResult result;
  int calls = 0;
  f.start(f.uri("sip:192.0.2.1:5070"), result, calls);
  BOOST_TEST(calls == 0);  // never from inside resolve()
  f.spin();
  BOOST_TEST(calls == 1);
  BOOST_TEST(peers(result) == (Strings{"udp:192.0.2.1:5070"}), boost::test_tools::per_element());
  BOOST_TEST(f.dns->rawSent + f.dns->addrSent == 0);
}

BOOST_AUTO_TEST_CASE(naptr_then_srv_then_addresses) {
  // RFC 3263 4.1: NAPTR picks TCP then UDP; each SRV ordered; targets' addresses in order.
  Fixture f;
  ResolveResult result;
  int calls = 0;
  f.start(f.uri("sip:example.com"), result, calls);
  BOOST_REQUIRE(f.dns->hasRaw("example.com", ns_t_naptr));
  BOOST_TEST(f.dns->raw.size() == 1u);
  f.dns->answerRaw(
      "example.com", ns_t_naptr,
      test::buildAnswer(1, 0, "example.com", test::kTypeNaptr,
                        {{"example.com", test::kTypeNaptr, 900,
                          test::naptrRdata(20, 10, "s", "SIP+D2U", "", "_sip._udp.example.com")},
                         {"example.com", test::kTypeNaptr, 900,
                          test::naptrRdata(10, 10, "s", "SIP+D2T", "", "_sip._tcp.example.com")}}));
  // Both SRV queries go out at once.
  BOOST_REQUIRE(f.dns->hasRaw("_sip._tcp.example.com", ns_t_srv));
  BOOST_REQUIRE(f.dns->hasRaw("_sip._udp.example.com", ns_t_srv));
  f.dns->answerRaw("_sip._udp.example.com", ns_t_srv,
                   test::srvMessage("_sip._udp.example.com", {{10, 5060, "gw1.example.com"}}));
  f.dns->answerRaw(
      "_sip._tcp.example.com", ns_t_srv,
      test::srvMessage("_sip._tcp.example.com",
                       {{20, 5071, "gw2.example.com"}, {10, 5070, "gw1.example.com"}}, 600));
  // gw1 serves both transports: looked up once.
  BOOST_TEST(f.dns->addr.size() == 2u);
  f.dns->answerAddr("gw2.example.com", {"192.0.2.2"});
  BOOST_TEST(calls == 0);
  f.dns->answerAddr("gw1.example.com", {"2001:db8::1", "192.0.2.1"}, 60);
  BOOST_TEST(calls == 1);
  BOOST_TEST(result.ok());
  BOOST_TEST(peers(result) ==
                 (Strings{"tcp:[2001:db8::1]:5070", "tcp:192.0.2.1:5070", "tcp:192.0.2.2:5071",
                          "udp:[2001:db8::1]:5060", "udp:192.0.2.1:5060"}),
             boost::test_tools::per_element());
  // Cached for the smallest TTL (60 s, gw1's addresses).
  ResolveResult cached;
  f.clock.advance(seconds{59});
  BOOST_TEST(f.resolver->tryCached(f.uri("sip:EXAMPLE.com"), cached));
  BOOST_TEST(peers(cached) == peers(result), boost::test_tools::per_element());
  f.clock.advance(seconds{1});
  BOOST_TEST(!f.resolver->tryCached(f.uri("sip:example.com"), cached));
}

BOOST_AUTO_TEST_CASE(without_naptr_srv_for_each_transport) {
  Fixture f;
  ResolveResult result;
  int calls = 0;
  f.start(f.uri("sip:example.com"), result, calls);
  f.dns->failRaw("example.com", ns_t_naptr, ResolveStatus::NoRecords);
  BOOST_REQUIRE_EQUAL(f.dns->raw.size(), 3u);
  f.dns->failRaw("_sip._udp.example.com", ns_t_srv, ResolveStatus::NoRecords);
  f.dns->answerRaw("_sip._tcp.example.com", ns_t_srv,
                   test::srvMessage("_sip._tcp.example.com", {{1, 5090, "gw.example.com"}}));
  f.dns->answerRaw("_sips._tcp.example.com", ns_t_srv,
                   test::srvMessage("_sips._tcp.example.com", {{1, 5091, "gw.example.com"}}));
  f.dns->answerAddr("gw.example.com", {"192.0.2.9"});
  f.spin();
  BOOST_TEST(peers(result) == (Strings{"tcp:192.0.2.9:5090", "tls:192.0.2.9:5091"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(without_srv_the_host_with_the_default_port) {
  // RFC 3263 4.2: no SRV -> A/AAAA of the host, port 5060 (UDP without a transport parameter).
  Fixture f;
  ResolveResult result;
  int calls = 0;
  f.start(f.uri("sip:example.com"), result, calls);
  f.dns->failRaw("example.com", ns_t_naptr, ResolveStatus::NxDomain);
  f.dns->failRaw("_sip._udp.example.com", ns_t_srv, ResolveStatus::NxDomain);
  f.dns->failRaw("_sip._tcp.example.com", ns_t_srv, ResolveStatus::NxDomain);
  f.dns->failRaw("_sips._tcp.example.com", ns_t_srv, ResolveStatus::NxDomain);
  BOOST_REQUIRE(f.dns->hasAddr("example.com"));
  f.dns->answerAddr("example.com", {"192.0.2.3"});
  BOOST_TEST(peers(result) == (Strings{"udp:192.0.2.3:5060"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(an_explicit_port_means_addresses_only) {
  Fixture f;
  ResolveResult result;
  int calls = 0;
  f.start(f.uri("sip:gw.example.com:5080;transport=tcp"), result, calls);
  BOOST_TEST(f.dns->raw.empty());
  BOOST_REQUIRE(f.dns->hasAddr("gw.example.com"));
  f.dns->answerAddr("gw.example.com", {"192.0.2.4"});
  BOOST_TEST(peers(result) == (Strings{"tcp:192.0.2.4:5080"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_transport_parameter_means_srv_of_that_transport) {
  Fixture f;
  ResolveResult result;
  int calls = 0;
  f.start(f.uri("sip:example.com;transport=tcp"), result, calls);
  BOOST_REQUIRE_EQUAL(f.dns->raw.size(), 1u);
  BOOST_TEST(f.dns->raw[0].name == "_sip._tcp.example.com");
  f.dns->failRaw("_sip._tcp.example.com", ns_t_srv, ResolveStatus::NoRecords);
  f.dns->answerAddr("example.com", {"192.0.2.5"});
  BOOST_TEST(peers(result) == (Strings{"tcp:192.0.2.5:5060"}), boost::test_tools::per_element());

  ResolveResult secure;
  f.start(f.uri("sips:example.com"), secure, calls);
  BOOST_REQUIRE_EQUAL(f.dns->raw.size(), 1u);
  BOOST_TEST(f.dns->raw[0].name == "_sips._tcp.example.com");
  f.dns->failRaw("_sips._tcp.example.com", ns_t_srv, ResolveStatus::NoRecords);
  f.dns->answerAddr("example.com", {"192.0.2.5"});
  BOOST_TEST(peers(secure) == (Strings{"tls:192.0.2.5:5061"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(many_requests_share_one_lookup) {
  Fixture f;
  ResolveResult results[50];
  int calls = 0;
  for (auto& r : results) f.start(f.uri("sip:gw.example.com:5060"), r, calls);
  BOOST_TEST(f.dns->addrSent == 1);
  BOOST_TEST(f.resolver->counters().lookups == 1u);
  BOOST_TEST(f.resolver->counters().joined == 49u);
  BOOST_TEST(f.resolver->inFlight() == 1u);
  f.dns->answerAddr("gw.example.com", {"192.0.2.6"});
  BOOST_TEST(calls == 50);
  for (const auto& r : results) BOOST_TEST(r.ok());
  BOOST_TEST(f.resolver->inFlight() == 0u);
  BOOST_TEST(f.resolver->waiting() == 0u);
  // Steady traffic: the next request is a cache hit, answered from the loop.
  ResolveResult again;
  f.start(f.uri("sip:gw.example.com:5060"), again, calls);
  f.spin();
  BOOST_TEST(calls == 51);
  BOOST_TEST(f.dns->addrSent == 1);
  BOOST_TEST(f.resolver->counters().cacheHits == 1u);
}

BOOST_AUTO_TEST_CASE(a_cancelled_request_is_never_called) {
  Fixture f;
  ResolveResult first;
  ResolveResult second;
  int firstCalls = 0;
  int secondCalls = 0;
  const ResolveHandle a = f.start(f.uri("sip:gw.example.com:5060"), first, firstCalls);
  f.start(f.uri("sip:gw.example.com:5060"), second, secondCalls);
  f.resolver->cancel(a);
  f.resolver->cancel(a);  // twice: harmless
  f.dns->answerAddr("gw.example.com", {"192.0.2.7"});
  BOOST_TEST(firstCalls == 0);
  BOOST_TEST(secondCalls == 1);

  // The only waiter cancelled: the lookup still completes and fills the cache.
  ResolveResult lone;
  int loneCalls = 0;
  const ResolveHandle h = f.start(f.uri("sip:other.example.com:5060"), lone, loneCalls);
  f.resolver->cancel(h);
  f.dns->answerAddr("other.example.com", {"192.0.2.8"});
  BOOST_TEST(loneCalls == 0);
  ResolveResult cached;
  BOOST_TEST(f.resolver->tryCached(f.uri("sip:other.example.com:5060"), cached));

  // A cancelled immediate answer (numeric host) is dropped too.
  ResolveResult literal;
  int literalCalls = 0;
  f.resolver->cancel(f.start(f.uri("sip:192.0.2.1"), literal, literalCalls));
  f.spin();
  BOOST_TEST(literalCalls == 0);
  BOOST_TEST(f.resolver->counters().cancelled == 3u);
}

BOOST_AUTO_TEST_CASE(a_callback_may_cancel_a_later_waiter_and_resolve_again) {
  Fixture f;
  ResolveHandle second = kNoHandle;
  int secondCalls = 0;
  int thirdCalls = 0;
  const NextHopQuery q = f.uri("sip:gw.example.com:5060");
  f.resolver->resolve(q, [&](const ResolveResult&) {
    f.resolver->cancel(second);
    f.resolver->resolve(q, [&](const ResolveResult& r) {
      BOOST_TEST(r.ok());
      ++thirdCalls;
    });
  });
  second = f.resolver->resolve(q, [&](const ResolveResult&) { ++secondCalls; });
  f.dns->answerAddr("gw.example.com", {"192.0.2.7"});
  BOOST_TEST(secondCalls == 0);
  BOOST_TEST(thirdCalls == 0);  // from the cache, on the next loop iteration
  f.spin();
  BOOST_TEST(thirdCalls == 1);
}

BOOST_AUTO_TEST_CASE(negative_answers_are_cached_for_the_negative_ttl) {
  Fixture f;
  ResolveResult result;
  int calls = 0;
  f.start(f.uri("sip:nowhere.example.com:5060"), result, calls);
  f.dns->failAddr("nowhere.example.com", ResolveStatus::NxDomain);
  BOOST_TEST(static_cast<int>(result.status) == static_cast<int>(ResolveStatus::NxDomain));
  BOOST_TEST(result.name == "nowhere.example.com");
  BOOST_TEST(result.describe() == "nowhere.example.com: NXDOMAIN (A/AAAA nowhere.example.com)");
  ResolveResult cached;
  f.clock.advance(seconds{29});
  BOOST_TEST(f.resolver->tryCached(f.uri("sip:nowhere.example.com:5060"), cached));
  BOOST_TEST(static_cast<int>(cached.status) == static_cast<int>(ResolveStatus::NxDomain));
  f.clock.advance(seconds{1});
  BOOST_TEST(!f.resolver->tryCached(f.uri("sip:nowhere.example.com:5060"), cached));
}

BOOST_AUTO_TEST_CASE(timeouts_are_reported_and_kept_briefly) {
  Fixture f;
  ResolveResult result;
  int calls = 0;
  f.start(f.uri("sip:slow.example.com"), result, calls);
  f.dns->failRaw("slow.example.com", ns_t_naptr, ResolveStatus::Timeout);
  f.dns->failRaw("_sip._udp.slow.example.com", ns_t_srv, ResolveStatus::Timeout);
  f.dns->failRaw("_sip._tcp.slow.example.com", ns_t_srv, ResolveStatus::NxDomain);
  f.dns->failRaw("_sips._tcp.slow.example.com", ns_t_srv, ResolveStatus::Timeout);
  f.dns->failAddr("slow.example.com", ResolveStatus::NxDomain);
  BOOST_TEST(static_cast<int>(result.status) == static_cast<int>(ResolveStatus::Timeout));
  BOOST_TEST(result.detail == "NAPTR slow.example.com");
  BOOST_TEST(result.peers.empty());
  ResolveResult cached;
  f.clock.advance(seconds{4});
  BOOST_TEST(f.resolver->tryCached(f.uri("sip:slow.example.com"), cached));
  f.clock.advance(seconds{1});
  BOOST_TEST(!f.resolver->tryCached(f.uri("sip:slow.example.com"), cached));
}

BOOST_AUTO_TEST_CASE(a_malformed_answer_is_an_error_result) {
  Fixture f;
  ResolveResult result;
  int calls = 0;
  f.start(f.uri("sip:bad.example.com;transport=udp"), result, calls);
  test::Bytes garbage = test::srvMessage("_sip._udp.bad.example.com", {{1, 5060, "gw"}});
  garbage.resize(garbage.size() - 3);
  f.dns->answerRaw("_sip._udp.bad.example.com", ns_t_srv, garbage);
  f.dns->failAddr("bad.example.com", ResolveStatus::NoRecords);
  BOOST_TEST(static_cast<int>(result.status) == static_cast<int>(ResolveStatus::Malformed));
  BOOST_TEST(result.detail == "SRV _sip._udp.bad.example.com");
}

BOOST_AUTO_TEST_CASE(ttl_floor_and_ceiling) {
  Fixture f;
  ResolveResult result;
  int calls = 0;
  f.start(f.uri("sip:zero.example.com:5060"), result, calls);
  f.dns->answerAddr("zero.example.com", {"192.0.2.1"}, 0);  // /etc/hosts, or TTL 0
  f.start(f.uri("sip:long.example.com:5060"), result, calls);
  f.dns->answerAddr("long.example.com", {"192.0.2.1"}, 7 * 86400);
  ResolveResult cached;
  f.clock.advance(seconds{4});
  BOOST_TEST(f.resolver->tryCached(f.uri("sip:zero.example.com:5060"), cached));  // floor 5 s
  f.clock.advance(seconds{1});
  BOOST_TEST(!f.resolver->tryCached(f.uri("sip:zero.example.com:5060"), cached));
  f.clock.advance(seconds{3594});
  BOOST_TEST(f.resolver->tryCached(f.uri("sip:long.example.com:5060"), cached));  // ceiling 1 h
  f.clock.advance(seconds{1});
  BOOST_TEST(!f.resolver->tryCached(f.uri("sip:long.example.com:5060"), cached));
}

BOOST_AUTO_TEST_CASE(lookups_in_flight_are_bounded) {
  ResolverSettings settings;
  settings.maxInFlight = 2;
  Fixture f(settings);
  ResolveResult results[3];
  int calls = 0;
  f.start(f.uri("sip:a.example.com:5060"), results[0], calls);
  f.start(f.uri("sip:b.example.com:5060"), results[1], calls);
  f.start(f.uri("sip:c.example.com:5060"), results[2], calls);
  f.spin();
  BOOST_TEST(calls == 1);
  BOOST_TEST(static_cast<int>(results[2].status) == static_cast<int>(ResolveStatus::Overloaded));
  BOOST_TEST(f.dns->addrSent == 2);
  BOOST_TEST(f.resolver->counters().overloaded == 1u);
}

BOOST_AUTO_TEST_CASE(srv_targets_are_bounded) {
  Fixture f;
  ResolveResult result;
  int calls = 0;
  f.start(f.uri("sip:big.example.com;transport=udp"), result, calls);
  std::vector<std::tuple<std::uint16_t, std::uint16_t, std::string>> many;
  for (int i = 0; i < 30; ++i) {
    many.emplace_back(static_cast<std::uint16_t>(i), 5060,
                      "t" + std::to_string(i) + ".example.com");
  }
  f.dns->answerRaw("_sip._udp.big.example.com", ns_t_srv,
                   test::srvMessage("_sip._udp.big.example.com", many));
  BOOST_TEST(f.dns->addr.size() == LookupLimits{}.maxTargets);
  while (!f.dns->addr.empty()) f.dns->answerAddr(f.dns->addr.front().name, {"192.0.2.1"});
  BOOST_TEST(result.peers.size() == LookupLimits{}.maxTargets);
}

BOOST_AUTO_TEST_CASE(without_a_backend_names_fail_and_numbers_work) {
  sd_event* event = nullptr;
  sd_event_new(&event);
  timer::ManualClock clock;
  {
    Resolver resolver(event, clock, {}, nullptr);
    ResolveResult name;
    ResolveResult number;
    resolver.resolve(NextHopQuery{"gw.example.com", 5060, std::nullopt, false},
                     [&](const ResolveResult& r) { name = r; });
    resolver.resolve(NextHopQuery{"192.0.2.1", 5060, std::nullopt, false},
                     [&](const ResolveResult& r) { number = r; });
    test::runUntil(
        event, [] { return false; }, 3, 0);
    BOOST_TEST(static_cast<int>(name.status) == static_cast<int>(ResolveStatus::Failure));
    BOOST_TEST(number.ok());
  }
  sd_event_unref(event);
}

BOOST_AUTO_TEST_CASE(destroying_the_resolver_with_lookups_in_flight) {
  Fixture f;
  ResolveResult result;
  int calls = 0;
  f.start(f.uri("sip:example.com"), result, calls);
  f.resolver.reset();  // no callback, no leak (ASan)
  BOOST_TEST(calls == 0);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace sipha::resolver
