#include "sip/header_id.hpp"

#include <array>
#include <utility>

#include "sip/text.hpp"

namespace sipha::sip {
namespace {

struct Entry {
  std::string_view name;
  HeaderId id;
};

// Indexed by HeaderId.
constexpr std::array<std::string_view, std::size_t(HeaderId::Count_)> kNames = {
    "",
    "Accept",
    "Accept-Encoding",
    "Accept-Language",
    "Alert-Info",
    "Allow",
    "Allow-Events",
    "Authentication-Info",
    "Authorization",
    "Call-ID",
    "Call-Info",
    "Contact",
    "Content-Disposition",
    "Content-Encoding",
    "Content-Language",
    "Content-Length",
    "Content-Type",
    "CSeq",
    "Date",
    "Error-Info",
    "Event",
    "Expires",
    "From",
    "In-Reply-To",
    "Max-Forwards",
    "MIME-Version",
    "Min-Expires",
    "Min-SE",
    "Organization",
    "P-Asserted-Identity",
    "P-Preferred-Identity",
    "Path",
    "Priority",
    "Privacy",
    "Proxy-Authenticate",
    "Proxy-Authorization",
    "Proxy-Require",
    "RAck",
    "Reason",
    "Record-Route",
    "Referred-By",
    "Refer-To",
    "Replaces",
    "Reply-To",
    "Require",
    "Retry-After",
    "Route",
    "RSeq",
    "Server",
    "Session-Expires",
    "Subject",
    "Subscription-State",
    "Supported",
    "Timestamp",
    "To",
    "Unsupported",
    "User-Agent",
    "Via",
    "Warning",
    "WWW-Authenticate",
};

// Full names bucketed by lower-case first letter, so a lookup compares a handful of entries.
constexpr bool bucketHas(char first, HeaderId id) {
  return text::toLower(kNames[std::size_t(id)][0]) == first;
}

HeaderId searchFrom(std::string_view name, char first) noexcept {
  for (std::size_t i = 1; i < kNames.size(); ++i) {
    const auto id = HeaderId(i);
    if (kNames[i].size() == name.size() && bucketHas(first, id) && text::iequals(kNames[i], name)) {
      return id;
    }
  }
  return HeaderId::Unknown;
}

HeaderId compact(char c) noexcept {
  switch (text::toLower(c)) {
    case 'i':
      return HeaderId::CallId;
    case 'm':
      return HeaderId::Contact;
    case 'e':
      return HeaderId::ContentEncoding;
    case 'l':
      return HeaderId::ContentLength;
    case 'c':
      return HeaderId::ContentType;
    case 'f':
      return HeaderId::From;
    case 's':
      return HeaderId::Subject;
    case 'k':
      return HeaderId::Supported;
    case 't':
      return HeaderId::To;
    case 'v':
      return HeaderId::Via;
    case 'o':
      return HeaderId::Event;
    case 'u':
      return HeaderId::AllowEvents;
    case 'r':
      return HeaderId::ReferTo;
    case 'b':
      return HeaderId::ReferredBy;
    case 'x':
      return HeaderId::SessionExpires;
    default:
      return HeaderId::Unknown;
  }
}

}  // namespace

HeaderId headerIdFromName(std::string_view name) noexcept {
  if (name.empty()) return HeaderId::Unknown;
  if (name.size() == 1) return compact(name[0]);
  // Fast paths for the headers every message carries.
  switch (name.size()) {
    case 3:
      if (text::iequals(name, "Via")) return HeaderId::Via;
      break;
    case 4:
      if (text::iequals(name, "From")) return HeaderId::From;
      if (text::iequals(name, "CSeq")) return HeaderId::CSeq;
      break;
    case 2:
      if (text::iequals(name, "To")) return HeaderId::To;
      break;
    case 7:
      if (text::iequals(name, "Call-ID")) return HeaderId::CallId;
      if (text::iequals(name, "Contact")) return HeaderId::Contact;
      break;
    default:
      break;
  }
  return searchFrom(name, text::toLower(name[0]));
}

std::string_view headerName(HeaderId id) noexcept {
  const auto index = std::size_t(id);
  return index < kNames.size() ? kNames[index] : std::string_view{};
}

}  // namespace sipha::sip
