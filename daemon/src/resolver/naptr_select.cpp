#include "resolver/naptr_select.hpp"

#include <algorithm>
#include <optional>
#include <string_view>

namespace sipha::resolver {
namespace {

bool equalsNoCase(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const char x = (a[i] >= 'A' && a[i] <= 'Z') ? static_cast<char>(a[i] + 32) : a[i];
    const char y = (b[i] >= 'A' && b[i] <= 'Z') ? static_cast<char>(b[i] + 32) : b[i];
    if (x != y) return false;
  }
  return true;
}

std::optional<transport::TransportKind> serviceTransport(std::string_view service, bool secure) {
  if (equalsNoCase(service, "SIPS+D2T")) return transport::TransportKind::Tls;
  if (secure) return std::nullopt;
  if (equalsNoCase(service, "SIP+D2U")) return transport::TransportKind::Udp;
  if (equalsNoCase(service, "SIP+D2T")) return transport::TransportKind::Tcp;
  return std::nullopt;
}

}  // namespace

std::vector<SrvChoice> selectNaptr(std::vector<NaptrRecord> records, bool secure) {
  std::stable_sort(records.begin(), records.end(), [](const NaptrRecord& a, const NaptrRecord& b) {
    if (a.order != b.order) return a.order < b.order;
    return a.preference < b.preference;
  });
  std::vector<SrvChoice> choices;
  for (const auto& record : records) {
    if (choices.size() >= kMaxNaptrChoices) break;
    if (!equalsNoCase(record.flags, "s") || !record.regexp.empty()) continue;
    if (record.replacement.empty() || record.replacement == ".") continue;
    const auto kind = serviceTransport(record.service, secure);
    if (!kind) continue;
    SrvChoice choice{*kind, record.replacement};
    if (std::find(choices.begin(), choices.end(), choice) == choices.end()) {
      choices.push_back(std::move(choice));
    }
  }
  return choices;
}

SrvChoice srvChoiceFor(transport::TransportKind kind, const std::string& host) {
  switch (kind) {
    case transport::TransportKind::Udp:
      return {kind, "_sip._udp." + host};
    case transport::TransportKind::Tcp:
      return {kind, "_sip._tcp." + host};
    case transport::TransportKind::Tls:
      return {kind, "_sips._tcp." + host};
  }
  return {kind, "_sip._udp." + host};
}

std::vector<SrvChoice> srvFallbackChoices(const std::string& host, bool secure) {
  if (secure) return {srvChoiceFor(transport::TransportKind::Tls, host)};
  return {srvChoiceFor(transport::TransportKind::Udp, host),
          srvChoiceFor(transport::TransportKind::Tcp, host),
          srvChoiceFor(transport::TransportKind::Tls, host)};
}

}  // namespace sipha::resolver
