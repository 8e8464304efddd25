#include "common/config/config_loader.hpp"

#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "common/config/ini_document.hpp"
#include "common/config/option_values.hpp"
#include "common/net/ip_network.hpp"

namespace sipha::common {
namespace {

// An option setter: applies the text to the model or returns why it cannot.
template <typename Model>
using Setter = std::function<std::optional<std::string>(std::string_view, Model&)>;

template <typename T, typename Model, typename Target>
std::optional<std::string> assign(ValueOr<T> parsed, Model& model, Target Model::*member) {
  if (!parsed.value) return std::move(parsed.reason);
  model.*member = static_cast<Target>(*parsed.value);
  return std::nullopt;
}

template <typename Model>
Setter<Model> boolOption(bool Model::*member) {
  return [member](std::string_view text, Model& model) {
    return assign(parseBool(text), model, member);
  };
}

template <typename Model, typename Number>
Setter<Model> numberOption(Number Model::*member, std::uint64_t min, std::uint64_t max) {
  return [=](std::string_view text, Model& model) {
    return assign(parseUnsigned(text, min, max), model, member);
  };
}

template <typename Model>
Setter<Model> addressOption(std::string Model::*member) {
  return [member](std::string_view text, Model& model) {
    return assign(parseIpAddress(text), model, member);
  };
}

template <typename Model>
Setter<Model> pathOption(std::string Model::*member) {
  return [member](std::string_view text, Model& model) {
    return assign(parseAbsolutePath(text), model, member);
  };
}

template <typename Model>
Setter<Model> textOption(std::string Model::*member) {
  return [member](std::string_view text, Model& model) -> std::optional<std::string> {
    model.*member = std::string{text};
    return std::nullopt;
  };
}

// [TServer]: the reference's application options (and the appliance's SIP limits).
const std::map<std::string, Setter<TServerOptions>, std::less<>>& tserverOptions() {
  using T = TServerOptions;
  static const std::map<std::string, Setter<T>, std::less<>> options{
      {"sip-address", addressOption(&T::sipAddress)},
      {"sip-interface", addressOption(&T::sipInterface)},
      {"sip-port", numberOption(&T::sipPort, 1, 65535)},
      {"sip-port-tls", numberOption(&T::sipPortTls, 0, 65535)},
      {"sip-tls-cert", pathOption(&T::tlsCertificate)},
      {"sip-tls-key", pathOption(&T::tlsPrivateKey)},
      {"sip-tls-ca", pathOption(&T::tlsCaFile)},
      {"sip-tls-verify-client", boolOption(&T::tlsVerifyClient)},
      {"internal-registrar-enabled", boolOption(&T::internalRegistrarEnabled)},
      {"internal-registrar-persistent", boolOption(&T::internalRegistrarPersistent)},
      {"sip-hold-rfc3264", boolOption(&T::sipHoldRfc3264)},
      {"blind-transfer-enabled", boolOption(&T::blindTransferEnabled)},
      {"registrar-default-expires", numberOption(&T::registrarDefaultExpires, 1, 604800)},
      {"registrar-min-expires", numberOption(&T::registrarMinExpires, 1, 86400)},
      {"registrar-max-expires", numberOption(&T::registrarMaxExpires, 1, 604800)},
      {"registrar-max-contacts", numberOption(&T::registrarMaxContacts, 1, 100)},
      {"registrar-accept-unknown", boolOption(&T::registrarAcceptUnknown)},
      {"authentication-realm", textOption(&T::authenticationRealm)},
      {"authentication-algorithms",
       [](std::string_view text, T& model) -> std::optional<std::string> {
         std::string_view rest = text;
         if (rest.empty()) return "expected SHA-256, MD5 or both, comma-separated";
         while (!rest.empty()) {
           const auto comma = rest.find(',');
           std::string_view item = rest.substr(0, comma);
           while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
           while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
           if (item != "SHA-256" && item != "MD5") {
             return "unknown algorithm '" + std::string{item} + "' (SHA-256 or MD5)";
           }
           rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
         }
         model.authenticationAlgorithms = std::string{text};
         return std::nullopt;
       }},
      {"trusted-networks",
       [](std::string_view text, T& model) -> std::optional<std::string> {
         auto parsed = parseNetworkList(text);
         if (!parsed.value) return std::move(parsed.reason);
         model.trustedNetworks = std::move(*parsed.value);
         return std::nullopt;
       }},
      {"authentication-failure-limit", numberOption(&T::authenticationFailureLimit, 0, 100000)},
      {"authentication-failure-window", numberOption(&T::authenticationFailureWindow, 1, 86400)},
      {"authentication-failure-sources",
       numberOption(&T::authenticationFailureSources, 16, 1000000)},
      {"sip-timer-t1", numberOption(&T::timerT1Ms, 10, 10000)},
      {"sip-timer-t2", numberOption(&T::timerT2Ms, 100, 60000)},
      {"sip-timer-t4", numberOption(&T::timerT4Ms, 100, 60000)},
      {"sip-max-message-size", numberOption(&T::maxMessageSize, 1024, 1048576)},
      {"sip-max-headers", numberOption(&T::maxHeaders, 16, 1024)},
      {"sip-max-connections", numberOption(&T::maxConnections, 1, 1000000)},
      {"sip-max-transactions", numberOption(&T::maxTransactions, 100, 10000000)},
  };
  return options;
}

const std::map<std::string, Setter<ApplianceOptions>, std::less<>>& applianceOptions() {
  using A = ApplianceOptions;
  static const std::map<std::string, Setter<A>, std::less<>> options{
      {"data-dir", pathOption(&A::dataDir)},
      {"node-name", textOption(&A::nodeName)},
      {"log-level",
       [](std::string_view text, A& model) -> std::optional<std::string> {
         static const std::map<std::string, LogLevel, std::less<>> levels{
             {"debug", LogLevel::Debug},
             {"info", LogLevel::Info},
             {"notice", LogLevel::Notice},
             {"warning", LogLevel::Warning},
             {"error", LogLevel::Error}};
         const auto found = levels.find(text);
         if (found == levels.end()) return "expected debug, info, notice, warning or error";
         model.logLevel = found->second;
         return std::nullopt;
       }},
  };
  return options;
}

// DN options from the reference's DN tables (OpenScape Voice, CUCM, Cisco MGW chapters) and the
// appliance's own (password). Ranges as the reference gives them.
std::optional<std::string> checkDnOption(const std::string& key, std::string_view value) {
  static const std::map<std::string, std::pair<std::uint64_t, std::uint64_t>, std::less<>> numbers{
      {"oos-check", {0, 300}},
      {"oos-force", {0, 30}},
      {"recovery-timeout", {0, 86400}},
      {"priority", {0, 1000000}},
      {"no-answer-timeout", {1, 3600}}};
  static const std::set<std::string, std::less<>> bools{
      "refer-enabled",          "blind-transfer-enabled", "dual-dialog-enabled",
      "make-call-rfc3725-flow", "ring-tone-on-make-call", "sip-cti-control"};
  static const std::set<std::string, std::less<>> texts{"contact",
                                                        "contact-backup",
                                                        "prefix",
                                                        "replace-prefix",
                                                        "service-type",
                                                        "password",
                                                        "targets",
                                                        "strategy",
                                                        "overflow",
                                                        "sip-ring-tone-mode",
                                                        "makecall-subst-uname",
                                                        "subscribe-presence-from",
                                                        "subscribe-presence-domain",
                                                        "subscribe-presence-expire",
                                                        "enable-agentlogin-presence",
                                                        "description"};
  if (const auto range = numbers.find(key); range != numbers.end()) {
    const auto parsed = parseUnsigned(value, range->second.first, range->second.second);
    if (!parsed.value) return parsed.reason;
    return std::nullopt;
  }
  if (bools.count(key) != 0) {
    const auto parsed = parseBool(value);
    if (!parsed.value) return parsed.reason;
    return std::nullopt;
  }
  if (texts.count(key) != 0) return std::nullopt;
  return std::string{"unknown DN option"};
}

std::optional<DnType> dnTypeFromName(std::string_view name) {
  if (name == "Extension") return DnType::Extension;
  if (name == "Trunk") return DnType::Trunk;
  if (name == "RoutingPoint") return DnType::RoutingPoint;
  if (name == "VoIPService") return DnType::VoIPService;
  return std::nullopt;
}

// [ha]: sipd's replication options; the agent's options are left to sipha-agent.
const std::map<std::string, Setter<ReplicationOptions>, std::less<>>& replicationOptions() {
  using R = ReplicationOptions;
  static const std::map<std::string, Setter<R>, std::less<>> options{
      {"node-id", textOption(&R::nodeId)},
      {"peer-address", addressOption(&R::peerAddress)},
      {"replication-address", addressOption(&R::address)},
      {"replication-port", numberOption(&R::port, 1, 65535)},
      {"peer-replication-port", numberOption(&R::peerPort, 1, 65535)},
      {"certificate", pathOption(&R::certificateFile)},
      {"private-key", pathOption(&R::privateKeyFile)},
      {"ca", pathOption(&R::caFile)},
      {"peer-certificate", pathOption(&R::peerCertificateFile)},
      {"replication-ack-timeout-ms", numberOption(&R::ackTimeoutMs, 10, 10000)},
      {"replication-backlog", numberOption(&R::backlogRecords, 1000, 10000000)},
  };
  return options;
}

void applyHaSection(const IniSection& section, Config& config, const std::string& path,
                    std::vector<ConfigError>& errors) {
  auto& ha = config.ha;
  for (const auto& entry : section.entries) {
    ha.raw.emplace(entry.key, RawOption{entry.value, entry.line});
    if (entry.key == "mode") {
      if (entry.value == "standalone") {
        ha.mode = HaMode::Standalone;
      } else if (entry.value == "pair") {
        ha.mode = HaMode::Pair;
      } else {
        errors.push_back({path, entry.line, "ha.mode",
                          "expected standalone or pair, got '" + entry.value + "'"});
      }
      continue;
    }
    const auto option = replicationOptions().find(entry.key);
    if (option == replicationOptions().end()) continue;  // the agent's
    if (auto reason = option->second(entry.value, ha.replication)) {
      errors.push_back({path, entry.line, "ha." + entry.key, std::move(*reason)});
    }
  }
  auto& replication = ha.replication;
  if (!replication.enabled()) return;
  const auto lineOf = [&](const char* key) {
    const auto found = ha.raw.find(key);
    return found == ha.raw.end() ? section.line : found->second.line;
  };
  if (replication.certificateFile.empty() || replication.privateKeyFile.empty()) {
    errors.push_back({path, lineOf("peer-address"), "ha.certificate",
                      "peer-address needs this node's certificate and private-key (the HA link "
                      "is mutually authenticated TLS)"});
  }
  if (replication.caFile.empty() && replication.peerCertificateFile.empty()) {
    errors.push_back({path, lineOf("peer-address"), "ha.ca",
                      "peer-address needs ca (the pair's CA) or peer-certificate (the peer's "
                      "certificate) to authenticate the peer"});
  }
}

template <typename Model, typename Options>
void applySection(const IniSection& section, const Options& options, Model& model,
                  const std::string& path, std::vector<ConfigError>& errors) {
  for (const auto& entry : section.entries) {
    const auto option = options.find(entry.key);
    if (option == options.end()) {
      errors.push_back({path, entry.line, section.name + "." + entry.key, "unknown option"});
      continue;
    }
    if (auto reason = option->second(entry.value, model)) {
      errors.push_back({path, entry.line, section.name + "." + entry.key, std::move(*reason)});
    }
  }
}

void applyDnSection(const IniSection& section, Config& config, const std::string& path,
                    std::vector<ConfigError>& errors) {
  Dn dn;
  dn.name = section.name.substr(3);
  dn.line = section.line;
  if (dn.name.empty()) {
    errors.push_back({path, section.line, section.name, "DN section needs a name: [dn:NAME]"});
    return;
  }
  bool typed = false;
  bool typeWritten = false;
  for (const auto& entry : section.entries) {
    const std::string option = section.name + "." + entry.key;
    if (entry.key == "type") {
      typeWritten = true;
      const auto type = dnTypeFromName(entry.value);
      if (!type) {
        errors.push_back(
            {path, entry.line, option,
             "expected Extension, Trunk, RoutingPoint or VoIPService, got '" + entry.value + "'"});
        continue;
      }
      dn.type = *type;
      typed = true;
      continue;
    }
    if (auto reason = checkDnOption(entry.key, entry.value)) {
      errors.push_back({path, entry.line, option, std::move(*reason)});
      continue;
    }
    if (entry.key == "password") dn.password = entry.value;
    dn.options.emplace(entry.key, entry.value);
  }
  if (!typed) {
    if (!typeWritten) {
      errors.push_back({path, section.line, section.name + ".type", "every DN needs a type"});
    }
    return;
  }
  config.dns.emplace(dn.name, std::move(dn));
}

void checkRequired(const IniDocument& document, const Config& config,
                   std::vector<ConfigError>& errors) {
  int tserverLine = 0;
  for (const auto& section : document.sections) {
    if (section.name == "TServer") tserverLine = section.line;
  }
  if (tserverLine == 0) {
    errors.push_back({document.path, 0, "TServer", "the [TServer] section is required"});
    return;
  }
  const auto& tserver = config.tserver;
  if (tserver.sipAddress.empty()) {
    errors.push_back({document.path, tserverLine, "TServer.sip-address", "required (the VIP)"});
  }
  if (tserver.sipInterface.empty()) {
    errors.push_back(
        {document.path, tserverLine, "TServer.sip-interface", "required (this node's address)"});
  }
  if (tserver.sipPortTls != 0 && tserver.sipPortTls == tserver.sipPort) {
    errors.push_back(
        {document.path, tserverLine, "TServer.sip-port-tls", "must differ from sip-port"});
  }
  if (tserver.tlsCertificate.empty() != tserver.tlsPrivateKey.empty()) {
    errors.push_back({document.path, tserverLine, "TServer.sip-tls-key",
                      "sip-tls-cert and sip-tls-key are set together or not at all"});
  }
  if (tserver.registrarMinExpires > tserver.registrarMaxExpires) {
    errors.push_back({document.path, tserverLine, "TServer.registrar-min-expires",
                      "must not exceed registrar-max-expires"});
  }
}

}  // namespace

ConfigLoadResult loadConfigText(std::string_view text, const std::string& path) {
  ConfigLoadResult result;
  const IniDocument document = parseIni(text, path, result.errors);
  Config config;
  config.path = path;
  config.dns.reserve(document.sections.size());
  for (const auto& section : document.sections) {
    if (section.name == "TServer") {
      applySection(section, tserverOptions(), config.tserver, path, result.errors);
    } else if (section.name == "appliance") {
      applySection(section, applianceOptions(), config.appliance, path, result.errors);
    } else if (section.name == "ha") {
      applyHaSection(section, config, path, result.errors);
    } else if (section.name == "network" || section.name == "webui") {
      auto& target = section.name == "network" ? config.network : config.webui;
      for (const auto& entry : section.entries) {
        target.emplace(entry.key, RawOption{entry.value, entry.line});
      }
    } else if (section.name.rfind("dn:", 0) == 0) {
      applyDnSection(section, config, path, result.errors);
    } else {
      result.errors.push_back({path, section.line, section.name, "unknown section"});
    }
  }
  checkRequired(document, config, result.errors);
  auto& replication = config.ha.replication;
  if (replication.nodeId.empty()) {
    replication.nodeId = config.appliance.nodeName.empty() ? "sipd" : config.appliance.nodeName;
  }
  if (replication.address.empty()) replication.address = config.tserver.sipInterface;
  if (replication.peerPort == 0) replication.peerPort = replication.port;
  if (config.tserver.authenticationRealm.empty()) {
    config.tserver.authenticationRealm = config.tserver.sipAddress;
  }
  if (result.errors.empty()) result.config = std::move(config);
  return result;
}

ConfigLoadResult loadConfigFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    ConfigLoadResult result;
    result.errors.push_back({path, 0, {}, "cannot open the configuration file"});
    return result;
  }
  std::ostringstream contents;
  contents << file.rdbuf();
  return loadConfigText(contents.str(), path);
}

bool isLoaderHaOption(std::string_view name) {
  return name == "mode" || replicationOptions().contains(name);
}

}  // namespace sipha::common
