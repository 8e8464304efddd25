#include "config/network_config.hpp"

#include <sys/socket.h>

#include <functional>
#include <map>
#include <string_view>

#include "config/address_text.hpp"

namespace sipha::netcfg {
namespace {

constexpr std::string_view kPolicyPrefix = "bigip-";  // bigip/ parses these (export names)
constexpr std::size_t kMaxLinkName = 15;              // IFNAMSIZ - 1 (linux/if.h)
constexpr std::size_t kMaxListItems = 256;            // a peer of the file cannot make us grow

class Parser {
 public:
  explicit Parser(const common::Config& config) : config_(config) {}

  NetworkConfigResult run() {
    for (const auto& [name, option] : config_.network) {
      if (name.starts_with(kPolicyPrefix) && name != "bigip-self-ips") continue;
      current_ = &option;
      currentName_ = name;
      if (!apply(name, option.value)) fail("unknown option");
    }
    current_ = nullptr;
    parseWebuiPort();
    checkTogether();
    NetworkConfigResult result;
    result.errors = std::move(errors_);
    if (result.errors.empty()) result.config = std::move(out_);
    return result;
  }

 private:
  bool apply(const std::string& name, const std::string& value) {
    using Handler = void (Parser::*)(std::string_view);
    static const std::map<std::string_view, Handler> handlers = {
        {"mode", &Parser::parseMode},
        {"service-link", &Parser::parseServiceLink},
        {"service-address", &Parser::parseServiceAddress},
        {"service-mtu", &Parser::parseServiceMtu},
        {"ha-link", &Parser::parseHaLink},
        {"ha-address", &Parser::parseHaAddress},
        {"peer-ha-address", &Parser::parsePeerHaAddress},
        {"peer-service-address", &Parser::parsePeerServiceAddress},
        {"management-link", &Parser::parseManagementLink},
        {"management-address", &Parser::parseManagementAddress},
        {"management-networks", &Parser::parseManagementNetworks},
        {"gateway", &Parser::parseGateway},
        {"bigip-self-ips", &Parser::parseBigipSelfIps},
        {"routes", &Parser::parseRoutes},
        {"vip-prefix-length", &Parser::parseVipPrefixLength},
        {"snat-exclusions", &Parser::parseSnatExclusions},
        {"config-server", &Parser::parseConfigServers},
        {"message-servers", &Parser::parseMessageServers},
        {"dns-servers", &Parser::parseDnsServers},
        {"ldap-servers", &Parser::parseLdapServers},
        {"other-sip-servers", &Parser::parseOtherSipServers},
        {"ha-ports", &Parser::parseHaPorts},
        {"announce-count", &Parser::parseAnnounceCount},
        {"announce-interval-ms", &Parser::parseAnnounceInterval},
        {"announce-refresh-s", &Parser::parseAnnounceRefresh},
    };
    const auto found = handlers.find(name);
    if (found == handlers.end()) return false;
    (this->*found->second)(value);
    return true;
  }

  void fail(std::string reason) { failAt(currentName_, current_, std::move(reason)); }

  void failAt(std::string_view name, const common::RawOption* option, std::string reason,
              std::string_view section = "network") {
    errors_.push_back({config_.path, option != nullptr ? option->line : 0,
                       std::string{section} + "." + std::string{name}, std::move(reason)});
  }

  const common::RawOption* find(std::string_view name) const {
    const auto found = config_.network.find(std::string{name});
    return found == config_.network.end() ? nullptr : &found->second;
  }

  void parseMode(std::string_view text) {
    if (text == "bigip") {
      out_.mode = NetworkMode::Bigip;
    } else if (text == "takeover") {
      out_.mode = NetworkMode::Takeover;
    } else {
      fail("expected bigip or takeover, got '" + std::string{text} + "'");
    }
  }

  // A kernel link name: 1..15 bytes, no '/', ':' or whitespace (dev_valid_name in the kernel).
  void parseLinkName(std::string_view text, std::string& target) {
    bool valid = !text.empty() && text.size() <= kMaxLinkName && text != "." && text != "..";
    for (const char c : text) {
      if (c == '/' || c == ':' || c <= ' ' || c == 0x7f) valid = false;
    }
    if (!valid) {
      fail("expected a link name of 1-15 characters without '/', ':' or spaces, got '" +
           std::string{text} + "'");
      return;
    }
    target = text;
  }

  void parseServiceLink(std::string_view text) { parseLinkName(text, out_.serviceLink); }
  void parseHaLink(std::string_view text) { parseLinkName(text, out_.haLink); }
  void parseManagementLink(std::string_view text) { parseLinkName(text, out_.managementLink); }

  void parseInterfacePrefix(std::string_view text, Prefix& target) {
    auto parsed = parsePrefix(text, true);
    if (!parsed.value) return fail(parsed.reason);
    target = *parsed.value;
  }
  void parseServiceAddress(std::string_view text) {
    parseInterfacePrefix(text, out_.serviceAddress);
  }
  void parseHaAddress(std::string_view text) {
    out_.haAddress.emplace();
    parseInterfacePrefix(text, *out_.haAddress);
  }
  void parseManagementAddress(std::string_view text) {
    out_.managementAddress.emplace();
    parseInterfacePrefix(text, *out_.managementAddress);
  }

  void parseSingleAddress(std::string_view text, std::string& target) {
    auto parsed = parseAddress(text);
    if (!parsed.value) return fail(parsed.reason);
    target = *parsed.value;
  }
  void parsePeerHaAddress(std::string_view text) { parseSingleAddress(text, out_.peerHaAddress); }
  void parsePeerServiceAddress(std::string_view text) {
    parseSingleAddress(text, out_.peerServiceAddress);
  }
  void parseGateway(std::string_view text) { parseSingleAddress(text, out_.gateway); }

  bool checkListSize(const std::vector<std::string_view>& items) {
    if (items.size() <= kMaxListItems) return true;
    fail("at most " + std::to_string(kMaxListItems) + " items");
    return false;
  }

  void parseAddressList(std::string_view text, std::vector<std::string>& target) {
    const auto items = splitList(text);
    if (!checkListSize(items)) return;
    for (const auto item : items) {
      auto parsed = parseAddress(item);
      if (!parsed.value) return fail(parsed.reason);
      target.push_back(*parsed.value);
    }
  }
  void parseBigipSelfIps(std::string_view text) { parseAddressList(text, out_.bigipSelfIps); }
  void parseConfigServers(std::string_view text) { parseAddressList(text, out_.configServers); }
  void parseMessageServers(std::string_view text) { parseAddressList(text, out_.messageServers); }
  void parseDnsServers(std::string_view text) { parseAddressList(text, out_.dnsServers); }
  void parseLdapServers(std::string_view text) { parseAddressList(text, out_.ldapServers); }
  void parseOtherSipServers(std::string_view text) { parseAddressList(text, out_.otherSipServers); }

  void parsePrefixList(std::string_view text, std::vector<Prefix>& target) {
    const auto items = splitList(text);
    if (!checkListSize(items)) return;
    for (const auto item : items) {
      auto parsed = parsePrefix(item, false);
      if (!parsed.value) return fail(parsed.reason);
      target.push_back(*parsed.value);
    }
  }
  void parseManagementNetworks(std::string_view text) {
    parsePrefixList(text, out_.managementNetworks);
  }
  void parseSnatExclusions(std::string_view text) { parsePrefixList(text, out_.snatExclusions); }

  // "NET/LEN via GW, NET/LEN via GW": the `ip route` spelling.
  void parseRoutes(std::string_view text) {
    const auto words = splitList(text);
    if (words.size() % 3 != 0) return fail("expected 'NET/LEN via GATEWAY' items");
    if (words.size() / 3 > kMaxListItems) return fail("too many routes");
    for (std::size_t i = 0; i < words.size(); i += 3) {
      if (words[i + 1] != "via") return fail("expected 'NET/LEN via GATEWAY' items");
      auto destination = parsePrefix(words[i], true);
      if (!destination.value) return fail(destination.reason);
      auto gateway = parseAddress(words[i + 2]);
      if (!gateway.value) return fail(gateway.reason);
      if (addressFamily(*gateway.value) != destination.value->family) {
        return fail("route " + std::string{words[i]} + ": gateway of another address family");
      }
      out_.routes.push_back({*destination.value, *gateway.value});
    }
  }

  bool parseNumber(std::string_view text, std::uint64_t min, std::uint64_t max,
                   std::uint64_t& value) {
    auto parsed = common::parseUnsigned(text, min, max);
    if (!parsed.value) {
      fail(parsed.reason);
      return false;
    }
    value = *parsed.value;
    return true;
  }
  void parseServiceMtu(std::string_view text) {
    std::uint64_t value = 0;
    // 576: the smallest IPv4 datagram every host accepts (RFC 791); 65535: IP's limit.
    if (parseNumber(text, 576, 65535, value)) out_.serviceMtu = static_cast<std::uint32_t>(value);
  }
  void parseVipPrefixLength(std::string_view text) {
    std::uint64_t value = 0;
    if (parseNumber(text, 1, 128, value)) out_.vipPrefixLength = static_cast<std::uint8_t>(value);
  }
  void parseAnnounceCount(std::string_view text) {
    std::uint64_t value = 0;
    if (parseNumber(text, 1, 20, value)) out_.announceCount = static_cast<unsigned>(value);
  }
  void parseAnnounceInterval(std::string_view text) {
    std::uint64_t value = 0;
    if (parseNumber(text, 10, 10000, value)) {
      out_.announceIntervalMs = static_cast<unsigned>(value);
    }
  }
  void parseAnnounceRefresh(std::string_view text) {
    std::uint64_t value = 0;
    // 0 turns the refresh off; an hour is longer than any neighbour cache keeps an entry.
    if (parseNumber(text, 0, 3600, value)) out_.announceRefreshS = static_cast<unsigned>(value);
  }
  void parseHaPorts(std::string_view text) {
    const auto dash = text.find('-');
    std::uint64_t first = 0;
    std::uint64_t last = 0;
    if (!parseNumber(text.substr(0, dash), 1, 65535, first)) return;
    last = first;
    if (dash != std::string_view::npos && !parseNumber(text.substr(dash + 1), 1, 65535, last)) {
      return;
    }
    if (last < first) return fail("the range's last port is below its first");
    out_.haPortFirst = static_cast<std::uint16_t>(first);
    out_.haPortLast = static_cast<std::uint16_t>(last);
  }

  void parseWebuiPort() {
    const auto found = config_.webui.find("port");
    if (found == config_.webui.end()) return;
    auto parsed = common::parseUnsigned(found->second.value, 1, 65535);
    if (!parsed.value) return failAt("port", &found->second, parsed.reason, "webui");
    out_.webuiPort = static_cast<std::uint16_t>(*parsed.value);
  }

  // Rules between options and with [TServer] (docs/network.md, "Consistency").
  void checkTogether() {
    if (!errors_.empty()) return;  // each option once, then the cross-checks
    if (out_.serviceLink.empty()) failAt("service-link", nullptr, "required");
    if (out_.serviceAddress.family == 0) failAt("service-address", nullptr, "required");
    if (!errors_.empty()) return;
    const auto& tserver = config_.tserver;
    if (!tserver.sipInterface.empty()) {
      auto sipInterface = parseAddress(tserver.sipInterface);
      if (sipInterface.value && *sipInterface.value != out_.serviceAddress.address) {
        failAt("service-address", find("service-address"),
               "must be [TServer] sip-interface (" + tserver.sipInterface + ")");
      }
    }
    if (out_.haAddress && !out_.peerHaAddress.empty() &&
        addressFamily(out_.peerHaAddress) != out_.haAddress->family) {
      failAt("peer-ha-address", find("peer-ha-address"), "of another family than ha-address");
    }
    if (!out_.gateway.empty() && addressFamily(out_.gateway) != out_.serviceAddress.family) {
      failAt("gateway", find("gateway"), "of another family than service-address");
    }
    if (out_.bigipSelfIps.empty() && !out_.gateway.empty()) {
      out_.bigipSelfIps.push_back(out_.gateway);
    }
    if (out_.mode == NetworkMode::Takeover) checkTakeover();
  }

  // mode = takeover: this node holds [TServer] sip-address (the VIP) while primary.
  void checkTakeover() {
    const auto& tserver = config_.tserver;
    auto vip = parseAddress(tserver.sipAddress);
    if (!vip.value) {
      return failAt("mode", find("mode"), "takeover needs [TServer] sip-address (the VIP)");
    }
    if (*vip.value == out_.serviceAddress.address) {
      return failAt("mode", find("mode"),
                    "takeover needs a [TServer] sip-address (the VIP) other than sip-interface");
    }
    const int family = addressFamily(*vip.value);
    if (family != out_.serviceAddress.family) {
      return failAt("mode", find("mode"), "the VIP and service-address differ in family");
    }
    if (family == AF_INET && out_.vipPrefixLength > 32) {
      failAt("vip-prefix-length", find("vip-prefix-length"), "must be 1..32 for an IPv4 VIP");
    }
  }

  const common::Config& config_;
  NetworkConfig out_;
  std::vector<common::ConfigError> errors_;
  const common::RawOption* current_ = nullptr;
  std::string currentName_;
};

}  // namespace

NetworkConfigResult parseNetworkConfig(const common::Config& config) {
  return Parser{config}.run();
}

}  // namespace sipha::netcfg
