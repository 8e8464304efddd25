#pragma once
// The configuration model: one INI file read by every sipha component (DESIGN.md).
// Option names keep the spelling of the SIP Server Integration Reference ([TServer] section,
// DN options); [appliance], [ha], [network] and [webui] are the appliance's own.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/net/ip_network.hpp"

namespace sipha::common {

enum class LogLevel { Debug, Info, Notice, Warning, Error };

struct TServerOptions {
  std::string sipAddress;    // sip-address: the VIP, advertised in Via/Contact/Record-Route
  std::string sipInterface;  // sip-interface: this node's physical address, bound
  std::uint16_t sipPort = 5060;
  std::uint16_t sipPortTls = 0;  // 0: TLS off
  std::string tlsCertificate;    // sip-tls-cert (empty: generated under data-dir/tls)
  std::string tlsPrivateKey;     // sip-tls-key
  std::string tlsCaFile;         // sip-tls-ca
  bool tlsVerifyClient = false;  // sip-tls-verify-client
  bool internalRegistrarEnabled = true;
  bool internalRegistrarPersistent = false;
  bool sipHoldRfc3264 = true;
  // blind-transfer-enabled: a REFER without Replaces is allowed (reference: "To enable a blind
  // transfer, set ... to true"); a VoIP Service DN's own value overrides it for its devices.
  bool blindTransferEnabled = false;
  std::uint32_t registrarDefaultExpires = 3600;
  std::uint32_t registrarMinExpires = 60;
  std::uint32_t registrarMaxExpires = 7200;
  std::uint32_t registrarMaxContacts = 10;
  bool registrarAcceptUnknown = false;
  std::string authenticationRealm;  // empty: sip-address
  // MD5 alone by default: clients that see SHA-256 and MD5 challenges together may fail
  // (baresip 1.0 does not register at all); docs/configuration.md.
  std::string authenticationAlgorithms = "MD5";
  // Who may start calls without digest (docs/authentication.md): these networks, and the
  // literal addresses of Trunk and softswitch contacts. Empty: only those contacts.
  std::vector<IpNetwork> trustedNetworks;
  // Failed authentications per source address (INVITE and REGISTER) before its requests are
  // refused for the window; 0: no limit. The window in seconds; the sources tracked at most.
  std::uint32_t authenticationFailureLimit = 10;
  std::uint32_t authenticationFailureWindow = 60;
  std::uint32_t authenticationFailureSources = 4096;
  std::uint32_t timerT1Ms = 500;  // RFC 3261 17.1.1.1
  std::uint32_t timerT2Ms = 4000;
  std::uint32_t timerT4Ms = 5000;
  std::uint32_t maxMessageSize = 65535;
  std::uint32_t maxHeaders = 128;
  std::uint32_t maxConnections = 1024;
  std::uint32_t maxTransactions = 200000;
};

struct ApplianceOptions {
  std::string dataDir = "/var/lib/sipha";
  LogLevel logLevel = LogLevel::Info;
  std::string nodeName;
};

// An option another component validates, kept with its line so that component can name it.
struct RawOption {
  std::string value;
  int line = 0;
};
using RawSection = std::map<std::string, RawOption>;

enum class HaMode { Standalone, Pair };

// sipd's options in [ha]: the replication link to the peer's sipd (docs/replication.md,
// docs/configuration.md). Without peer-address a pair node replicates to nobody.
struct ReplicationOptions {
  std::string nodeId;                // node-id; default: [appliance] node-name, else "sipd"
  std::string peerAddress;           // peer-address: the peer's HA-link address
  std::string address;               // replication-address; default: [TServer] sip-interface
  std::uint16_t port = 5072;         // replication-port (this node listens, the backup dials)
  std::uint16_t peerPort = 0;        // peer-replication-port; 0: the same as replication-port
  std::string certificateFile;       // certificate: this node's (PEM)
  std::string privateKeyFile;        // private-key
  std::string caFile;                // ca: the pair's CA; the peer's certificate must chain to it
  std::string peerCertificateFile;   // peer-certificate: or the peer's exact certificate (pin)
  std::uint32_t ackTimeoutMs = 300;  // replication-ack-timeout-ms (synchronous REGISTER)
  std::uint32_t backlogRecords = 200000;  // replication-backlog (records kept for a resume)
  bool enabled() const { return !peerAddress.empty(); }
};

struct HaOptions {
  HaMode mode = HaMode::Standalone;  // no [ha] section: standalone, sipd primary by itself
  ReplicationOptions replication;    // sipd's
  RawSection raw;                    // every option as written (the agent validates its own)
};

enum class DnType { Extension, Trunk, RoutingPoint, VoIPService };

struct Dn {
  std::string name;
  DnType type = DnType::Extension;
  int line = 0;
  std::string password;                        // digest authentication (empty: none)
  std::map<std::string, std::string> options;  // every option as written, for later layers
};

// Lets the DN table be searched with a string_view (no allocation per lookup on the packet path).
struct TransparentStringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const noexcept {
    return std::hash<std::string_view>{}(text);
  }
};

struct Config {
  std::string path;
  TServerOptions tserver;
  ApplianceOptions appliance;
  HaOptions ha;
  std::unordered_map<std::string, Dn, TransparentStringHash, std::equal_to<>> dns;  // by name
  RawSection network;  // validated by sipha-netcfg
  RawSection webui;    // validated by sipha-webui

  const Dn* findDn(std::string_view name) const {
    const auto found = dns.find(name);
    return found == dns.end() ? nullptr : &found->second;
  }
};

}  // namespace sipha::common
