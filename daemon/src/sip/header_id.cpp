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

// Ids ordered by name length (counting sort at compile time): a lookup only compares names of the
// same length, and only those with the same first letter byte by byte.
constexpr std::size_t kMaxLength = 32;
struct LengthIndex {
  std::array<std::uint8_t, kNames.size()> order{};
  std::array<std::uint8_t, kMaxLength + 2> start{};
};

constexpr LengthIndex buildIndex() {
  LengthIndex index;
  std::array<std::size_t, kMaxLength + 2> count{};
  for (std::size_t i = 1; i < kNames.size(); ++i) ++count[kNames[i].size() + 1];
  for (std::size_t l = 1; l < count.size(); ++l) count[l] += count[l - 1];
  for (std::size_t l = 0; l < count.size(); ++l) index.start[l] = std::uint8_t(count[l]);
  for (std::size_t i = 1; i < kNames.size(); ++i) {
    index.order[count[kNames[i].size()]++] = std::uint8_t(i);
  }
  return index;
}
constexpr LengthIndex kIndex = buildIndex();

HeaderId searchByLength(std::string_view name) noexcept {
  if (name.size() > kMaxLength) return HeaderId::Unknown;
  const char first = text::toLower(name[0]);
  for (std::size_t i = kIndex.start[name.size()]; i < kIndex.start[name.size() + 1]; ++i) {
    const std::string_view candidate = kNames[kIndex.order[i]];
    if (text::toLower(candidate[0]) == first && text::iequals(candidate, name)) {
      return HeaderId(kIndex.order[i]);
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
  return searchByLength(name);
}

std::string_view headerName(HeaderId id) noexcept {
  const auto index = std::size_t(id);
  return index < kNames.size() ? kNames[index] : std::string_view{};
}

}  // namespace sipha::sip
