// Extension, softswitch and Trunk rules of RoutingTable (docs/routing.md).
#include <boost/test/unit_test.hpp>

#include "test_support.hpp"

using namespace sipha::routing;
using namespace sipha::routing::test;
using sipha::common::Config;
using sipha::common::DnType;

BOOST_AUTO_TEST_SUITE(routing_table)

BOOST_AUTO_TEST_CASE(unknown_number_is_404) {
  Config config;
  addDn(config, "1001", DnType::Extension);
  auto table = buildClean(config);
  FakeRegistrations registrations;
  const auto result = table.route("2002", registrations.lookup(), nullptr);
  BOOST_TEST(result.status == 404);
  BOOST_TEST(result.attempts.empty());
  BOOST_TEST(table.counters().notFound == 1u);
  BOOST_TEST(table.route("", registrations.lookup(), nullptr).status == 404);
  BOOST_TEST(
      table.route(std::string(kMaxNumberLength + 1, '1'), registrations.lookup(), nullptr).status ==
      404);
  BOOST_TEST(table.counters().rejectedInput == 2u);
  // Not a URI user part (RFC 3261 25.1): refused before it reaches an outbound URI.
  for (const auto* bad : {"10@01", "1001>", "10 01", "%4", "%zz1", "a\r\n"}) {
    BOOST_TEST(table.route(bad, registrations.lookup(), nullptr).status == 404);
  }
  BOOST_TEST(table.counters().rejectedInput == 8u);
  BOOST_TEST(registrations.lookups == 0);
}

BOOST_AUTO_TEST_CASE(escaped_user_parts_are_routed_as_written) {
  Config config;
  addDn(config, "gw", DnType::Trunk, {{"prefix", "*7"}, {"contact", "10.0.0.1"}});
  auto table = buildClean(config);
  FakeRegistrations registrations;
  const auto result = table.route("*7%2312", registrations.lookup(), nullptr);
  BOOST_TEST_REQUIRE(result.attempts.size() == 1u);
  BOOST_TEST(result.attempts[0].requestUri == "sip:*7%2312@10.0.0.1:5060");
  BOOST_TEST(table.route("+4930;phone-context=x", registrations.lookup(), nullptr).status == 404);
  BOOST_TEST(table.counters().rejectedInput == 0u);
}

BOOST_AUTO_TEST_CASE(unregistered_extension_is_480) {
  Config config;
  addDn(config, "1001", DnType::Extension);
  auto table = buildClean(config);
  FakeRegistrations registrations;
  BOOST_TEST(table.route("1001", registrations.lookup(), nullptr).status == 480);
  BOOST_TEST(registrations.lookups == 1);
  BOOST_TEST(table.counters().unavailable == 1u);
  // A registration whose contact is not routable (tel:) counts as none.
  registrations.add("1001", "tel:+4930123");
  BOOST_TEST(table.route("1001", registrations.lookup(), nullptr).status == 480);
}

// A binding replicated from the old primary has no connection of this node: its Contact is used.
BOOST_AUTO_TEST_CASE(a_replicated_stream_binding_is_reached_through_its_contact) {
  Config config;
  addDn(config, "1001", DnType::Extension);
  auto table = buildClean(config);
  FakeRegistrations registrations;
  registrations.add("1001", "sip:1001@192.0.2.11:5062;transport=tcp", std::nullopt,
                    "tcp:192.0.2.11:40000");
  const auto result = table.route("1001", registrations.lookup(), nullptr);
  BOOST_TEST_REQUIRE(result.attempts.size() == 1u);
  BOOST_TEST(result.attempts[0].flow.empty());
  BOOST_TEST((result.attempts[0].hop.transport == sipha::transport::TransportKind::Tcp));
  BOOST_TEST(result.attempts[0].hop.port == 5062);
}

BOOST_AUTO_TEST_CASE(registered_contacts_by_q_equal_q_parallel) {
  Config config;
  addDn(config, "1001", DnType::Extension);
  auto table = buildClean(config);
  FakeRegistrations registrations;
  registrations.add("1001", "sip:1001@192.0.2.10:5060", 500, "udp:192.0.2.10:5060");
  registrations.add("1001", "sip:1001@192.0.2.11:5062;transport=tcp", std::nullopt,
                    "tcp:192.0.2.11:40000#7");
  registrations.add("1001", "sip:1001@192.0.2.12:5060", 1000);
  registrations.add("1001", "sip:1001@192.0.2.13:5060", 100);
  const auto result = table.route("1001", registrations.lookup(), nullptr);
  BOOST_TEST_REQUIRE(result.status == 0);
  BOOST_TEST_REQUIRE(result.attempts.size() == 4u);
  // q absent = 1.0: forked with the q=1.0 contact, registration order kept.
  BOOST_TEST(result.attempts[0].requestUri == "sip:1001@192.0.2.11:5062;transport=tcp");
  BOOST_TEST(result.attempts[0].flow == "tcp:192.0.2.11:40000#7");
  BOOST_TEST((result.attempts[0].hop.transport == sipha::transport::TransportKind::Tcp));
  BOOST_TEST(result.attempts[1].requestUri == "sip:1001@192.0.2.12:5060");
  BOOST_TEST(result.attempts[0].group == result.attempts[1].group);
  BOOST_TEST(result.attempts[2].requestUri == "sip:1001@192.0.2.10:5060");
  BOOST_TEST(result.attempts[2].group == result.attempts[1].group + 1);
  BOOST_TEST(result.attempts[3].requestUri == "sip:1001@192.0.2.13:5060");
  BOOST_TEST(result.attempts[3].group == result.attempts[2].group + 1);
  for (const auto& attempt : result.attempts) {
    BOOST_TEST((attempt.kind == AttemptKind::Registered));
    BOOST_TEST(attempt.dn == "1001");
    BOOST_TEST(attempt.timeout.count() == 0);
    BOOST_TEST(!attempt.health.valid());
  }
}

BOOST_AUTO_TEST_CASE(registered_contacts_are_capped) {
  Config config;
  addDn(config, "1001", DnType::Extension);
  auto table = buildClean(config);
  FakeRegistrations registrations;
  for (int i = 0; i < 40; ++i) {
    registrations.add("1001", "sip:1001@192.0.2." + std::to_string(i + 1));
  }
  const auto result = table.route("1001", registrations.lookup(), nullptr);
  BOOST_TEST(result.attempts.size() == kMaxRegisteredAttempts);
}

Config softswitchConfig() {
  Config config;
  addDn(config, "OpenScape", DnType::VoIPService,
        {{"service-type", "softswitch"},
         {"contact", "10.1.0.1:5060;transport=tcp"},
         {"contact-backup", "10.1.0.2:5060;transport=tcp, 10.1.0.3:5060;transport=tcp"},
         {"oos-check", "10"}});
  addDn(config, "4001", DnType::Extension, {{"contact", "OpenScape"}});
  addDn(config, "1001", DnType::Extension);
  return config;
}

BOOST_AUTO_TEST_CASE(softswitch_extension_goes_to_the_softswitch_contact) {
  auto table = buildClean(softswitchConfig());
  numberContacts(table);
  FakeRegistrations registrations;
  registrations.add("4001", "sip:4001@192.0.2.99");  // registered here too: the softswitch wins
  const auto result = table.route("4001", registrations.lookup(), nullptr);
  BOOST_TEST_REQUIRE(result.status == 0);
  BOOST_TEST(registrations.lookups == 0);
  const std::vector<std::string> expected{"sip:4001@10.1.0.1:5060;transport=tcp",
                                          "sip:4001@10.1.0.2:5060;transport=tcp",
                                          "sip:4001@10.1.0.3:5060;transport=tcp"};
  BOOST_TEST(uris(result) == expected, boost::test_tools::per_element());
  BOOST_TEST((result.attempts[0].kind == AttemptKind::Softswitch));
  BOOST_TEST(result.attempts[0].dn == "OpenScape");
  BOOST_TEST(result.attempts[0].group < result.attempts[1].group);  // tried in order
  BOOST_TEST(result.attempts[0].health.valid());
  BOOST_TEST((table.monitoredContacts()[0].settings.oosCheck == std::chrono::seconds(10)));
  // Extensions not tied to it still use registrations.
  BOOST_TEST(table.route("1001", registrations.lookup(), nullptr).status == 480);
}

BOOST_AUTO_TEST_CASE(softswitch_out_of_service_contacts_skipped_then_503) {
  auto table = buildClean(softswitchConfig());
  numberContacts(table);
  FakeRegistrations registrations;
  FakeHealth health;
  health.down.push_back(contactId(table, "OpenScape", "10.1.0.1"));
  auto result = table.route("4001", registrations.lookup(), &health);
  BOOST_TEST_REQUIRE(result.attempts.size() == 2u);
  BOOST_TEST(result.attempts[0].hop.host == "10.1.0.2");
  health.down.push_back(contactId(table, "OpenScape", "10.1.0.2"));
  health.down.push_back(contactId(table, "OpenScape", "10.1.0.3"));
  result = table.route("4001", registrations.lookup(), &health);
  BOOST_TEST(result.status == 503);
  BOOST_TEST(table.counters().outOfService == 1u);
  BOOST_TEST(table.counters().skippedOos == 4u);
}

BOOST_AUTO_TEST_CASE(extension_contact_must_name_a_softswitch) {
  Config config;
  addDn(config, "1001", DnType::Extension, {{"contact", "10.0.0.1:5060"}});
  std::vector<BuildError> errors;
  auto table = RoutingTable::build(config, errors);
  BOOST_TEST_REQUIRE(errors.size() == 1u);
  BOOST_TEST(errors[0].dn == "1001");
  BOOST_TEST(errors[0].option == "contact");
  FakeRegistrations registrations;  // still an Extension, routed by registrations
  registrations.add("1001", "sip:1001@192.0.2.1");
  BOOST_TEST(table.route("1001", registrations.lookup(), nullptr).status == 0);
}

// Gateways as in the reference's Cisco Media Gateway chapter.
Config trunkConfig() {
  Config config;
  addDn(config, "gw-7", DnType::Trunk, {{"prefix", "7"}, {"contact", "10.0.7.1:5060"}});
  addDn(config, "gw-78", DnType::Trunk,
        {{"prefix", "78"}, {"replace-prefix", "8"}, {"contact", "10.0.78.1:5060"}});
  addDn(config, "gw-78-backup", DnType::Trunk,
        {{"prefix", "78"},
         {"priority", "5"},
         {"contact", "10.0.78.2:5060"},
         {"contact-backup", "10.0.78.3:5070, sip:10.0.78.4;transport=tcp"}});
  addDn(config, "gw-78-cheap", DnType::Trunk,
        {{"prefix", "78"}, {"priority", "1"}, {"replace-prefix", ""}, {"contact", "10.0.78.9"}});
  addDn(config, "gw-intl", DnType::Trunk,
        {{"prefix", "00, 011"}, {"contact", "sips:intl.example.net"}});
  return config;
}

BOOST_AUTO_TEST_CASE(longest_prefix_wins) {
  auto table = buildClean(trunkConfig());
  FakeRegistrations registrations;
  auto result = table.route("7123", registrations.lookup(), nullptr);
  BOOST_TEST_REQUIRE(result.attempts.size() == 1u);
  BOOST_TEST(result.attempts[0].dn == "gw-7");
  BOOST_TEST(result.attempts[0].requestUri == "sip:7123@10.0.7.1:5060");
  BOOST_TEST((result.attempts[0].kind == AttemptKind::Trunk));
  result = table.route("786505551212", registrations.lookup(), nullptr);
  BOOST_TEST_REQUIRE(!result.attempts.empty());
  BOOST_TEST(result.attempts[0].dn.rfind("gw-78", 0) == 0);  // not gw-7
}

BOOST_AUTO_TEST_CASE(equal_prefix_lower_priority_first_and_replace_prefix) {
  auto table = buildClean(trunkConfig());
  FakeRegistrations registrations;
  const auto result = table.route("786505551212", registrations.lookup(), nullptr);
  BOOST_TEST_REQUIRE(result.status == 0);
  // priority 0 (gw-78, absent = 0), 1 (gw-78-cheap), 5 (gw-78-backup with its backups).
  const std::vector<std::string> expected{
      "sip:86505551212@10.0.78.1:5060",  // replace-prefix 8: the reference's example
      "sip:6505551212@10.0.78.9:5060",   // replace-prefix empty: prefix stripped
      "sip:786505551212@10.0.78.2:5060", "sip:786505551212@10.0.78.3:5070",
      "sip:786505551212@10.0.78.4:5060;transport=tcp"};
  BOOST_TEST(uris(result) == expected, boost::test_tools::per_element());
  for (std::size_t i = 1; i < result.attempts.size(); ++i) {
    BOOST_TEST(result.attempts[i].group == result.attempts[i - 1].group + 1);  // sequential
  }
  BOOST_TEST(result.attempts[2].dn == "gw-78-backup");
  BOOST_TEST(result.attempts[4].dn == "gw-78-backup");
}

BOOST_AUTO_TEST_CASE(equal_priority_ties_broken_by_name) {
  Config config;
  addDn(config, "b", DnType::Trunk, {{"prefix", "9"}, {"contact", "10.0.0.2"}});
  addDn(config, "a", DnType::Trunk, {{"prefix", "9"}, {"contact", "10.0.0.1"}});
  addDn(config, "c", DnType::Trunk, {{"prefix", "9"}, {"priority", "0"}, {"contact", "10.0.0.3"}});
  auto table = buildClean(config);
  FakeRegistrations registrations;
  const auto result = table.route("91", registrations.lookup(), nullptr);
  BOOST_TEST_REQUIRE(result.attempts.size() == 3u);
  BOOST_TEST(result.attempts[0].dn == "a");
  BOOST_TEST(result.attempts[1].dn == "b");
  BOOST_TEST(result.attempts[2].dn == "c");
}

BOOST_AUTO_TEST_CASE(several_prefixes_per_trunk_and_sips) {
  auto table = buildClean(trunkConfig());
  FakeRegistrations registrations;
  for (const auto* number : {"0049301234", "0114930"}) {
    const auto result = table.route(number, registrations.lookup(), nullptr);
    BOOST_TEST_REQUIRE(result.attempts.size() == 1u);
    BOOST_TEST(result.attempts[0].dn == "gw-intl");
    // A name without a port: none in the Request-URI (RFC 3263 SRV, docs/dns.md).
    BOOST_TEST(result.attempts[0].requestUri ==
               "sips:" + std::string(number) + "@intl.example.net");
    BOOST_TEST((result.attempts[0].hop.transport == sipha::transport::TransportKind::Tls));
  }
  BOOST_TEST(table.route("555", registrations.lookup(), nullptr).status == 404);
}

BOOST_AUTO_TEST_CASE(out_of_service_contacts_skipped_failover_to_next_trunk) {
  auto table = buildClean(trunkConfig());
  numberContacts(table);
  FakeRegistrations registrations;
  FakeHealth health;
  health.down.push_back(contactId(table, "gw-78", "10.0.78.1"));
  health.down.push_back(contactId(table, "gw-78-backup", "10.0.78.2"));
  auto result = table.route("781", registrations.lookup(), &health);
  const std::vector<std::string> expected{"sip:1@10.0.78.9:5060", "sip:781@10.0.78.3:5070",
                                          "sip:781@10.0.78.4:5060;transport=tcp"};
  BOOST_TEST(uris(result) == expected, boost::test_tools::per_element());
  BOOST_TEST(result.attempts[0].health == contactId(table, "gw-78-cheap", "10.0.78.9"));
  BOOST_TEST(result.attempts[0].group == 0u);
}

BOOST_AUTO_TEST_CASE(all_matching_trunks_out_of_service_is_503_no_shorter_prefix) {
  auto table = buildClean(trunkConfig());
  numberContacts(table);
  FakeRegistrations registrations;
  FakeHealth health;
  for (const auto& contact : table.monitoredContacts()) {
    if (contact.dn.rfind("gw-78", 0) == 0) health.down.push_back(contact.health);
  }
  const auto result = table.route("781", registrations.lookup(), &health);
  // The shorter prefix 7 (gw-7) is not used: failover stays among trunks of the same prefix.
  BOOST_TEST(result.status == 503);
  BOOST_TEST(result.attempts.empty());
  BOOST_TEST(table.route("71", registrations.lookup(), &health).status == 0);
}

BOOST_AUTO_TEST_CASE(extension_name_beats_trunk_prefix) {
  auto config = trunkConfig();
  addDn(config, "7001", DnType::Extension);
  auto table = buildClean(config);
  FakeRegistrations registrations;
  BOOST_TEST(table.route("7001", registrations.lookup(), nullptr).status == 480);
  BOOST_TEST(table.route("7002", registrations.lookup(), nullptr).status == 0);
}

BOOST_AUTO_TEST_CASE(bad_trunk_options_reported_and_trunk_left_out) {
  Config config;
  addDn(config, "no-contact", DnType::Trunk, {{"prefix", "1"}});
  addDn(config, "bad-contact", DnType::Trunk, {{"prefix", "2"}, {"contact", "10.0.0.1:99999"}});
  addDn(config, "bad-backup", DnType::Trunk,
        {{"prefix", "3"}, {"contact", "10.0.0.3"}, {"contact-backup", "sip:"}});
  addDn(config, "no-prefix", DnType::Trunk, {{"contact", "10.0.0.4"}});
  std::vector<BuildError> errors;
  auto table = RoutingTable::build(config, errors);
  BOOST_TEST(errors.size() == 4u);
  FakeRegistrations registrations;
  BOOST_TEST(table.route("1", registrations.lookup(), nullptr).status == 404);
  BOOST_TEST(table.route("2", registrations.lookup(), nullptr).status == 404);
  BOOST_TEST(table.route("3", registrations.lookup(), nullptr).attempts.size() == 1u);
  BOOST_TEST(table.monitoredContacts().size() == 2u);  // bad-backup's primary, no-prefix's
}

BOOST_AUTO_TEST_CASE(health_settings_parsed) {
  Config config;
  addDn(config, "gw", DnType::Trunk,
        {{"prefix", "1"},
         {"contact", "10.0.0.1, 10.0.0.2"},
         {"oos-check", "30"},
         {"oos-force", "5"},
         {"recovery-timeout", "600"}});
  auto table = buildClean(config);
  BOOST_TEST_REQUIRE(table.monitoredContacts().size() == 2u);
  for (const auto& contact : table.monitoredContacts()) {
    BOOST_TEST((contact.settings.oosCheck == std::chrono::seconds(30)));
    BOOST_TEST((contact.settings.oosForce == std::chrono::seconds(5)));
    BOOST_TEST((contact.settings.recoveryTimeout == std::chrono::seconds(600)));
  }
}

BOOST_AUTO_TEST_CASE(health_ranges_checked_for_configurations_built_in_code) {
  Config config;
  addDn(config, "gw", DnType::Trunk,
        {{"prefix", "1"},
         {"contact", "10.0.0.1"},
         {"oos-check", "301"},
         {"oos-force", "31"},
         {"recovery-timeout", "86401"}});
  std::vector<BuildError> errors;
  auto table = RoutingTable::build(config, errors);
  BOOST_TEST_REQUIRE(errors.size() == 3u);
  BOOST_TEST(errors[0].option == "oos-check");
  BOOST_TEST(errors[0].reason == "expected seconds 0-300, got '301'");
  BOOST_TEST_REQUIRE(table.monitoredContacts().size() == 1u);
  BOOST_TEST(table.monitoredContacts()[0].settings.oosCheck.count() == 0);
  BOOST_TEST(table.monitoredContacts()[0].settings.oosForce.count() == 0);
  BOOST_TEST(table.monitoredContacts()[0].settings.recoveryTimeout.count() == 0);
}

BOOST_AUTO_TEST_CASE(result_buffer_is_reused) {
  auto table = buildClean(trunkConfig());
  FakeRegistrations registrations;
  RouteResult result;
  table.route("786505551212", registrations.lookup(), nullptr, result);
  BOOST_TEST(result.attempts.size() == 5u);
  table.route("71", registrations.lookup(), nullptr, result);
  BOOST_TEST(result.attempts.size() == 1u);
  table.route("9", registrations.lookup(), nullptr, result);
  BOOST_TEST(result.attempts.empty());
  BOOST_TEST(result.status == 404);
}

BOOST_AUTO_TEST_SUITE_END()
