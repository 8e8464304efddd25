#include "bigip/bigip_options.hpp"

#include <algorithm>
#include <array>

#include "common/config/option_values.hpp"
#include "config/address_text.hpp"

namespace sipha::netcfg {
namespace {

struct NameOption {
  const char* option;
  std::string BigipOptions::*member;
};

constexpr std::array kNameOptions = {
    NameOption{"bigip-vlan-external", &BigipOptions::vlanExternal},
    NameOption{"bigip-vlan-internal", &BigipOptions::vlanInternal},
    NameOption{"bigip-self-external", &BigipOptions::selfExternal},
    NameOption{"bigip-self-internal", &BigipOptions::selfInternal},
    NameOption{"bigip-route", &BigipOptions::route},
    NameOption{"bigip-node-primary", &BigipOptions::nodePrimary},
    NameOption{"bigip-node-backup", &BigipOptions::nodeBackup},
    NameOption{"bigip-monitor", &BigipOptions::monitor},
    NameOption{"bigip-pool", &BigipOptions::pool},
    NameOption{"bigip-data-group-nodes", &BigipOptions::dataGroupNodes},
    NameOption{"bigip-data-group-excluded", &BigipOptions::dataGroupExcluded},
    NameOption{"bigip-snat-pool", &BigipOptions::snatPool},
    NameOption{"bigip-irule", &BigipOptions::irule},
    NameOption{"bigip-virtual-outbound", &BigipOptions::virtualOutbound},
    NameOption{"bigip-virtual-inbound", &BigipOptions::virtualInbound},
    NameOption{"bigip-virtual-udp", &BigipOptions::virtualUdp},
    NameOption{"bigip-virtual-tcp", &BigipOptions::virtualTcp},
    NameOption{"bigip-monitor-tls", &BigipOptions::monitorTls},
    NameOption{"bigip-pool-tls", &BigipOptions::poolTls},
    NameOption{"bigip-virtual-tls", &BigipOptions::virtualTls},
};

constexpr std::array kInterfaceOptions = {
    NameOption{"bigip-vlan-external-interface", &BigipOptions::vlanExternalInterface},
    NameOption{"bigip-vlan-internal-interface", &BigipOptions::vlanInternalInterface},
};

bool isAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// A tmsh object name we can write unquoted: a letter, then letters, digits, '_', '-', '.'.
bool validObjectName(std::string_view name) {
  if (name.empty() || name.size() > 63 || !isAlnum(name.front()) ||
      (name.front() >= '0' && name.front() <= '9'))
    return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return isAlnum(c) || c == '_' || c == '-' || c == '.'; });
}

// A BIG-IP interface: "1.3", "2.1", "mgmt".
bool validInterface(std::string_view name) {
  return !name.empty() && name.size() <= 16 &&
         std::all_of(name.begin(), name.end(), [](char c) { return isAlnum(c) || c == '.'; });
}

class Parser {
 public:
  explicit Parser(const common::Config& config) : config_(config) {}

  BigipOptionsResult run() {
    for (const auto& [name, option] : config_.network) {
      if (!name.starts_with("bigip-") || name == "bigip-self-ips") continue;
      name_ = name;
      line_ = option.line;
      if (!apply(name, option.value)) fail("unknown option");
    }
    return {std::move(out_), std::move(errors_)};
  }

 private:
  void fail(std::string reason) {
    errors_.push_back({config_.path, line_, "network." + name_, std::move(reason)});
  }

  bool apply(const std::string& name, const std::string& value) {
    for (const auto& entry : kNameOptions) {
      if (name != entry.option) continue;
      if (!validObjectName(value))
        fail("expected an object name (a letter, then letters, digits, '_', '-', '.'), got '" +
             value + "'");
      else
        out_.*entry.member = value;
      return true;
    }
    for (const auto& entry : kInterfaceOptions) {
      if (name != entry.option) continue;
      if (!validInterface(value))
        fail("expected a BIG-IP interface such as 1.3, got '" + value + "'");
      else
        out_.*entry.member = value;
      return true;
    }
    if (name == "bigip-self-external-address") return prefix(value, out_.selfExternalAddress);
    if (name == "bigip-self-internal-address") return prefix(value, out_.selfInternalAddress);
    if (name == "bigip-route-gateway") return address(value, out_.routeGateway);
    if (name == "bigip-virtual-address") return address(value, out_.virtualAddress);
    if (name == "bigip-virtual-port") return port(value, out_.virtualPort);
    if (name == "bigip-virtual-port-tls") return port(value, out_.virtualPortTls);
    if (name == "bigip-disable-udp-tcp") {
      auto parsed = common::parseBool(value);
      if (!parsed.value)
        fail(parsed.reason);
      else
        out_.disableUdpTcp = *parsed.value;
      return true;
    }
    return false;
  }

  bool prefix(const std::string& value, std::optional<Prefix>& target) {
    auto parsed = parsePrefix(value, true);
    if (!parsed.value)
      fail(parsed.reason);
    else
      target = *parsed.value;
    return true;
  }
  bool address(const std::string& value, std::string& target) {
    auto parsed = parseAddress(value);
    if (!parsed.value)
      fail(parsed.reason);
    else
      target = *parsed.value;
    return true;
  }
  bool port(const std::string& value, std::optional<std::uint16_t>& target) {
    auto parsed = common::parseUnsigned(value, 1, 65535);
    if (!parsed.value)
      fail(parsed.reason);
    else
      target = static_cast<std::uint16_t>(*parsed.value);
    return true;
  }

  const common::Config& config_;
  BigipOptions out_;
  std::vector<common::ConfigError> errors_;
  std::string name_;
  int line_ = 0;
};

}  // namespace

BigipOptionsResult parseBigipOptions(const common::Config& config) { return Parser{config}.run(); }

}  // namespace sipha::netcfg
