// The result cache (resolver/resolve_cache.hpp): expiry on a manual clock and the size bound.
#include <boost/test/unit_test.hpp>

#include "resolver/resolve_cache.hpp"

namespace sipha::resolver {
namespace {

ResolveResult named(std::string name) {
  ResolveResult r;
  r.status = ResolveStatus::NxDomain;
  r.name = std::move(name);
  return r;
}

using std::chrono::seconds;

}  // namespace

BOOST_AUTO_TEST_SUITE(resolve_cache)

BOOST_AUTO_TEST_CASE(entries_live_until_their_expiry) {
  timer::ManualClock clock;
  ResolveCache cache(8);
  cache.insert("a", named("a"), clock.now() + seconds{10});
  clock.advance(seconds{9});
  BOOST_REQUIRE(cache.find("a", clock.now()) != nullptr);
  BOOST_TEST(cache.find("a", clock.now())->name == "a");
  clock.advance(seconds{1});
  BOOST_TEST(cache.peek("a", clock.now()) == nullptr);
  BOOST_TEST(cache.size() == 1u);  // peek changes nothing
  BOOST_TEST(cache.find("a", clock.now()) == nullptr);
  BOOST_TEST(cache.size() == 0u);  // find drops the expired entry
}

BOOST_AUTO_TEST_CASE(insert_replaces_and_extends) {
  timer::ManualClock clock;
  ResolveCache cache(8);
  cache.insert("a", named("old"), clock.now() + seconds{1});
  cache.insert("a", named("new"), clock.now() + seconds{100});
  clock.advance(seconds{50});
  BOOST_REQUIRE(cache.find("a", clock.now()) != nullptr);
  BOOST_TEST(cache.find("a", clock.now())->name == "new");
  BOOST_TEST(cache.size() == 1u);
}

BOOST_AUTO_TEST_CASE(the_least_recently_used_entry_makes_room) {
  timer::ManualClock clock;
  ResolveCache cache(3);
  const auto later = clock.now() + seconds{60};
  cache.insert("a", named("a"), later);
  cache.insert("b", named("b"), later);
  cache.insert("c", named("c"), later);
  BOOST_REQUIRE(cache.find("a", clock.now()) != nullptr);  // a is now the most recent
  cache.insert("d", named("d"), later);
  BOOST_TEST(cache.size() == 3u);
  BOOST_TEST(cache.evictions() == 1u);
  BOOST_TEST(cache.peek("b", clock.now()) == nullptr);
  BOOST_TEST(cache.peek("a", clock.now()) != nullptr);
  BOOST_TEST(cache.peek("c", clock.now()) != nullptr);
  BOOST_TEST(cache.peek("d", clock.now()) != nullptr);
}

BOOST_AUTO_TEST_CASE(the_bound_holds_under_many_names) {
  timer::ManualClock clock;
  ResolveCache cache(4096);
  for (int i = 0; i < 10000; ++i) {
    cache.insert("n" + std::to_string(i), named("x"), clock.now() + seconds{60});
  }
  BOOST_TEST(cache.size() == 4096u);
  BOOST_TEST(cache.peek("n9999", clock.now()) != nullptr);
  BOOST_TEST(cache.peek("n0", clock.now()) == nullptr);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace sipha::resolver
