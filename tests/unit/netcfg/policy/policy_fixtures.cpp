#include "policy_fixtures.hpp"

#include <boost/test/unit_test.hpp>

#include "common/config/config_loader.hpp"

namespace sipha::netcfg::test {
namespace {

std::string node(const std::string& self, const std::string& peer) {
  return "[TServer]\n"
         "sip-address = 192.168.166.238\n"
         "sip-interface = " +
         self +
         "\n"
         "sip-port = 5060\n"
         "sip-port-tls = 5061\n"
         "internal-registrar-enabled = true\n"
         "internal-registrar-persistent = true\n"
         "sip-hold-rfc3264 = true\n"
         "\n[network]\n"
         "mode = bigip\n"
         "service-link = eth0\n"
         "service-address = " +
         self +
         "/25\n"
         "peer-service-address = " +
         peer +
         "\n"
         "gateway = 192.168.167.96\n"
         "snat-exclusions = 172.21.83.193, 172.21.83.0/28\n"
         "config-server = 172.21.83.193\n"
         "message-servers = 172.21.83.5\n"
         "bigip-self-external-address = 192.168.166.229/28\n"
         "bigip-route-gateway = 192.168.166.225\n";
}

}  // namespace

ExamplePair referenceExample() {
  return {node("192.168.167.125", "192.168.167.126"), node("192.168.167.126", "192.168.167.125")};
}

std::string withOption(std::string text, const std::string& key, const std::string& value) {
  const std::string start = key + " =";
  std::size_t at = text.rfind("\n" + start);
  if (at == std::string::npos) return text + key + " = " + value + "\n";
  const std::size_t end = text.find('\n', at + 1);
  return text.replace(at + 1, end - at - 1, key + " = " + value);
}

std::string without(std::string text, const std::string& key) {
  const std::size_t at = text.rfind("\n" + key + " =");
  if (at == std::string::npos) return text;
  const std::size_t end = text.find('\n', at + 1);
  return text.erase(at + 1, end - at);
}

common::Config loadText(const std::string& text, const std::string& path) {
  auto loaded = common::loadConfigText(text, path);
  BOOST_REQUIRE_MESSAGE(loaded.config, (loaded.errors.empty() ? std::string{"refused"}
                                                              : loaded.errors[0].toString()));
  return *loaded.config;
}

}  // namespace sipha::netcfg::test
