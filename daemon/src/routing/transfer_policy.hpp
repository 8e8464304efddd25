#pragma once
// Which transfers the DNs allow (reference DN tables: `refer-enabled` on a softswitch / Trunk DN,
// `blind-transfer-enabled` at the application level ([TServer]) or on a VoIP Service DN). Built
// from the configuration with the routing table; asked by the call glue for the DN behind each
// leg of a call (docs/b2bua.md "Transfers"). Pure data, no allocation per lookup.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/config/config.hpp"

namespace sipha::routing {

struct TransferOptions {
  // refer-enabled of the DN (default true: the reference's tables only ever set it false).
  // False: sipd transfers toward this party with re-INVITE instead of relaying a REFER.
  bool referEnabled = true;
  // blind-transfer-enabled for this party as transferor: the value on its VoIP Service DN
  // (the softswitch serving an Extension, or the softswitch itself) when written there, else
  // [TServer]'s.
  bool blindTransferEnabled = false;

  friend bool operator==(const TransferOptions&, const TransferOptions&) = default;
};

class TransferPolicies {
 public:
  TransferPolicies() = default;
  static TransferPolicies build(const common::Config& config);

  // The options of DN `name` (an Extension, Trunk or VoIP Service DN; Attempt::dn). Unknown
  // names get the defaults.
  TransferOptions ofDn(std::string_view name) const;
  // The DN a caller is known as: the Extension DN named by its From user part, else the Trunk or
  // softswitch whose contact (or contact-backup) host matches the INVITE's source address (and
  // its port when the contact writes one), else the defaults.
  TransferOptions ofCaller(std::string_view fromUser, std::string_view sourceHost,
                           std::uint16_t sourcePort) const;

 private:
  struct Contact {
    std::string host;  // without IPv6 brackets, lower case
    std::uint16_t port = 0;
    bool explicitPort = false;
    TransferOptions options;
  };
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const noexcept {
      return std::hash<std::string_view>{}(key);
    }
  };

  struct Entry {
    TransferOptions options;
    bool extension = false;
  };

  TransferOptions defaults_;
  std::unordered_map<std::string, Entry, Hash, std::equal_to<>> byDn_;
  std::vector<Contact> contacts_;
};

}  // namespace sipha::routing
