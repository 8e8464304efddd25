// The routing table from a configuration file as an operator writes it (common/config loader):
// option names and ranges end to end.
#include <boost/test/unit_test.hpp>

#include "common/config/config_loader.hpp"
#include "test_support.hpp"

using namespace sipha::routing;
using namespace sipha::routing::test;

namespace {

constexpr std::string_view kIni = R"([TServer]
sip-address = 192.0.2.100
sip-interface = 192.0.2.1

[dn:1001]
type = Extension
password = secret

[dn:OpenScape]
type = VoIPService
service-type = softswitch
contact = 10.1.0.1:5060;transport=tls
oos-check = 30
oos-force = 10

[dn:4001]
type = Extension
contact = OpenScape

[dn:cisco-mgw]
type = Trunk
contact = 10.0.0.1:5060
contact-backup = 10.0.0.2:5060, 10.0.0.3:5060
prefix = 78
replace-prefix = 8
priority = 1
oos-check = 60
oos-force = 5
recovery-timeout = 300

[dn:5000]
type = RoutingPoint
targets = 1001, 4001:10
strategy = round-robin
no-answer-timeout = 25
overflow = 78123
)";

}  // namespace

BOOST_AUTO_TEST_SUITE(config_file)

BOOST_AUTO_TEST_CASE(reference_style_configuration_routes) {
  const auto loaded = sipha::common::loadConfigText(kIni, "sipha.ini");
  BOOST_TEST_REQUIRE(loaded.errors.empty());
  std::vector<BuildError> errors;
  auto table = RoutingTable::build(*loaded.config, errors);
  BOOST_TEST(errors.empty());
  BOOST_TEST(table.monitoredContacts().size() == 4u);
  FakeRegistrations registrations;
  registrations.add("1001", "sip:1001@192.0.2.7:5060");

  auto result = table.route("786505551212", registrations.lookup(), nullptr);
  const std::vector<std::string> trunk{"sip:86505551212@10.0.0.1:5060",
                                       "sip:86505551212@10.0.0.2:5060",
                                       "sip:86505551212@10.0.0.3:5060"};
  BOOST_TEST(uris(result) == trunk, boost::test_tools::per_element());

  result = table.route("4001", registrations.lookup(), nullptr);
  BOOST_TEST_REQUIRE(result.attempts.size() == 1u);
  BOOST_TEST(result.attempts[0].requestUri == "sip:4001@10.1.0.1:5060;transport=tls");

  result = table.route("5000", registrations.lookup(), nullptr);
  BOOST_TEST_REQUIRE(result.attempts.size() == 5u);
  BOOST_TEST(result.attempts[0].dn == "1001");
  BOOST_TEST((result.attempts[0].timeout == std::chrono::seconds(25)));
  BOOST_TEST(result.attempts[1].dn == "OpenScape");
  BOOST_TEST((result.attempts[1].timeout == std::chrono::seconds(10)));
  BOOST_TEST(result.attempts[2].requestUri == "sip:8123@10.0.0.1:5060");
  result = table.route("5000", registrations.lookup(), nullptr);
  BOOST_TEST(result.attempts[0].dn == "OpenScape");  // round-robin
}

BOOST_AUTO_TEST_CASE(reference_ranges_refused_by_the_loader) {
  for (const auto* bad : {"oos-check = 301", "oos-force = 31", "recovery-timeout = 86401",
                          "priority = -1", "no-answer-timeout = 0"}) {
    const std::string text =
        "[TServer]\nsip-address = 192.0.2.100\nsip-interface = 192.0.2.1\n[dn:gw]\ntype = "
        "Trunk\ncontact = 10.0.0.1\n" +
        std::string(bad) + "\n";
    const auto loaded = sipha::common::loadConfigText(text, "sipha.ini");
    BOOST_TEST(!loaded.config.has_value(), bad);
    BOOST_TEST_REQUIRE(loaded.errors.size() == 1u);
    BOOST_TEST(loaded.errors[0].line == 7);
  }
}

BOOST_AUTO_TEST_SUITE_END()
