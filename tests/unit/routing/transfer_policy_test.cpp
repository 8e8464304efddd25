// refer-enabled / blind-transfer-enabled resolved per DN and per caller (docs/b2bua.md
// "Transfers").
#include <boost/test/unit_test.hpp>

#include "routing/transfer_policy.hpp"
#include "test_support.hpp"

namespace sipha::routing::test {
namespace {

using common::DnType;

common::Config transferConfig(bool tserverBlind) {
  common::Config config;
  config.tserver.blindTransferEnabled = tserverBlind;
  addDn(config, "osv", DnType::VoIPService,
        {{"service-type", "softswitch"},
         {"contact", "192.0.2.50:5080"},
         {"refer-enabled", "false"},
         {"blind-transfer-enabled", "true"}});
  addDn(config, "5001", DnType::Extension, {{"contact", "osv"}});
  addDn(config, "7001", DnType::Extension);
  addDn(config, "gw", DnType::Trunk,
        {{"prefix", "9"},
         {"contact", "192.0.2.60:5070"},
         {"contact-backup", "192.0.2.61"},
         {"refer-enabled", "false"}});
  addDn(config, "open", DnType::Trunk, {{"prefix", "8"}, {"contact", "192.0.2.70:5060"}});
  return config;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(transfer_policy)

BOOST_AUTO_TEST_CASE(dn_options_and_defaults) {
  const auto policies = TransferPolicies::build(transferConfig(false));
  // The softswitch: its own values.
  BOOST_TEST(!policies.ofDn("osv").referEnabled);
  BOOST_TEST(policies.ofDn("osv").blindTransferEnabled);
  // An Extension it serves inherits both (the reference: no options on the Extension DN).
  BOOST_TEST(!policies.ofDn("5001").referEnabled);
  BOOST_TEST(policies.ofDn("5001").blindTransferEnabled);
  // A registered Extension: defaults (refer-enabled true, blind from [TServer] = false).
  BOOST_TEST(policies.ofDn("7001").referEnabled);
  BOOST_TEST(!policies.ofDn("7001").blindTransferEnabled);
  // A trunk: its refer-enabled; blind from [TServer] (a trunk is not a VoIP Service DN).
  BOOST_TEST(!policies.ofDn("gw").referEnabled);
  BOOST_TEST(!policies.ofDn("gw").blindTransferEnabled);
  BOOST_TEST(policies.ofDn("open").referEnabled);
  BOOST_TEST(policies.ofDn("unknown").referEnabled);
}

BOOST_AUTO_TEST_CASE(tserver_blind_transfer_applies_where_no_service_dn_says) {
  const auto policies = TransferPolicies::build(transferConfig(true));
  BOOST_TEST(policies.ofDn("7001").blindTransferEnabled);
  BOOST_TEST(policies.ofDn("gw").blindTransferEnabled);
  BOOST_TEST(policies.ofDn("unknown").blindTransferEnabled);
  auto config = transferConfig(true);
  config.dns.at("osv").options["blind-transfer-enabled"] = "false";
  const auto overridden = TransferPolicies::build(config);
  BOOST_TEST(!overridden.ofDn("5001").blindTransferEnabled);  // the VoIP Service DN wins
  BOOST_TEST(overridden.ofDn("7001").blindTransferEnabled);
}

BOOST_AUTO_TEST_CASE(caller_by_from_user_then_source_address) {
  const auto policies = TransferPolicies::build(transferConfig(false));
  // An Extension named by the From user part, wherever it comes from.
  BOOST_TEST(!policies.ofCaller("5001", "198.51.100.1", 5060).referEnabled);
  BOOST_TEST(policies.ofCaller("7001", "192.0.2.60", 5070).referEnabled);
  // Otherwise the trunk whose contact host and port match the source.
  BOOST_TEST(!policies.ofCaller("+4930123", "192.0.2.60", 5070).referEnabled);
  // contact-backup without a port: the host alone matches.
  BOOST_TEST(!policies.ofCaller("+4930123", "192.0.2.61", 41000).referEnabled);
  // The softswitch by its contact.
  BOOST_TEST(policies.ofCaller("anon", "192.0.2.50", 5080).blindTransferEnabled);
  // A written port that differs does not match: defaults.
  BOOST_TEST(policies.ofCaller("+4930123", "192.0.2.60", 5999).referEnabled);
  BOOST_TEST((policies.ofCaller("x", "203.0.113.9", 5060) == TransferOptions{}));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace sipha::routing::test
