// The ruleset against the real kernel: the test process moves into a network namespace of its
// own (unshare), so nothing here touches the host's firewall. Skipped when not root.
#include <nftables/libnftables.h>
#include <sched.h>

#include <boost/test/unit_test.hpp>
#include <memory>
#include <string>

#include "firewall/ruleset.hpp"
#include "ruleset_fixtures.hpp"

namespace sipha::netcfg::test {
namespace {

// True once the process is in its own, empty network namespace.
bool privateNamespace() {
  static const bool entered = unshare(CLONE_NEWNET) == 0;
  return entered;
}

// Runs an nft command and returns its output ("" on failure).
std::string nft(const std::string& command) {
  std::unique_ptr<nft_ctx, void (*)(nft_ctx*)> context{nft_ctx_new(NFT_CTX_DEFAULT), nft_ctx_free};
  nft_ctx_buffer_output(context.get());
  nft_ctx_buffer_error(context.get());
  if (nft_run_cmd_from_buffer(context.get(), command.c_str()) != 0) return {};
  return nft_ctx_get_output_buffer(context.get());
}

#define REQUIRE_NAMESPACE()                                                   \
  if (!privateNamespace()) {                                                  \
    BOOST_TEST_MESSAGE("skipped: needs root to unshare a network namespace"); \
    return;                                                                   \
  }

}  // namespace

BOOST_AUTO_TEST_SUITE(ruleset_kernel)

BOOST_AUTO_TEST_CASE(every_generated_variant_is_accepted) {
  REQUIRE_NAMESPACE();
  auto bigip = takeoverNetwork();
  bigip.mode = NetworkMode::Bigip;
  for (const auto& [network, holdsVip] :
       {std::pair{bigip, false}, std::pair{takeoverNetwork(), false},
        std::pair{takeoverNetwork(), true}}) {
    const auto result = applyRuleset(buildRuleset(tserverConfig(), network, holdsVip));
    BOOST_TEST(result.ok, result.error);
  }
  auto config6 = tserverConfig();
  config6.tserver.sipAddress = "2001:db8::10";
  auto network6 = takeoverNetwork();
  network6.serviceAddress = {"2001:db8::11", 64, AF_INET6};
  network6.snatExclusions.push_back({"2001:db8:53::", 48, AF_INET6});
  network6.managementNetworks.push_back({"2001:db8:f::", 48, AF_INET6});
  const auto result6 = applyRuleset(buildRuleset(config6, network6, true));
  BOOST_TEST(result6.ok, result6.error);
  BOOST_TEST(nft("list table inet sipha").find("snat ip6 to 2001:db8::10") != std::string::npos);

  BOOST_REQUIRE(applyRuleset(buildRuleset(tserverConfig(), takeoverNetwork(), true)).ok);
  const auto listing = nft("list table inet sipha");
  BOOST_TEST(listing.find("snat ip to 198.51.100.10") != std::string::npos);
  BOOST_TEST(listing.find("policy drop") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(applying_twice_changes_nothing_and_backup_drops_the_nat) {
  REQUIRE_NAMESPACE();
  const auto script = buildRuleset(tserverConfig(), takeoverNetwork(), true);
  BOOST_REQUIRE(applyRuleset(script).ok);
  const auto first = nft("list table inet sipha");
  BOOST_REQUIRE(applyRuleset(script).ok);
  BOOST_TEST(nft("list table inet sipha") == first);
  BOOST_REQUIRE(applyRuleset(buildRuleset(tserverConfig(), takeoverNetwork(), false)).ok);
  BOOST_TEST(nft("list table inet sipha").find("snat") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_refused_script_leaves_the_previous_table_whole) {
  REQUIRE_NAMESPACE();
  BOOST_REQUIRE(applyRuleset(buildRuleset(tserverConfig(), takeoverNetwork(), true)).ok);
  const auto before = nft("list table inet sipha");
  auto broken = buildRuleset(tserverConfig(), takeoverNetwork(), false);
  broken.insert(broken.rfind('}'), "  chain bad {\n    tcp dport 70000 accept\n  }\n");
  const auto result = applyRuleset(broken);
  BOOST_TEST(!result.ok);
  BOOST_TEST(result.error.find("out of range") != std::string::npos, result.error);
  BOOST_TEST(nft("list table inet sipha") == before);
  BOOST_TEST(!checkRuleset(broken).ok);
}

BOOST_AUTO_TEST_CASE(check_does_not_commit) {
  REQUIRE_NAMESPACE();
  BOOST_REQUIRE(removeRuleset().ok);
  BOOST_TEST(checkRuleset(buildRuleset(tserverConfig(), takeoverNetwork(), true)).ok);
  BOOST_TEST(nft("list table inet sipha").empty());
}

BOOST_AUTO_TEST_CASE(remove_is_idempotent_and_leaves_other_tables) {
  REQUIRE_NAMESPACE();
  BOOST_REQUIRE(!nft("add table inet other\nlist table inet other").empty());
  BOOST_REQUIRE(applyRuleset(buildRuleset(tserverConfig(), takeoverNetwork(), true)).ok);
  BOOST_TEST(removeRuleset().ok);
  BOOST_TEST(removeRuleset().ok);
  BOOST_TEST(nft("list table inet sipha").empty());
  BOOST_TEST(!nft("list table inet other").empty());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace sipha::netcfg::test
