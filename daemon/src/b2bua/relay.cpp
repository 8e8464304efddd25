#include "b2bua/relay.hpp"

#include "sip/header_id.hpp"
#include "sip/text.hpp"

namespace sipha::b2bua {
bool isRelayedHeader(const sip::HeaderField& field, bool response, std::uint16_t status) noexcept {
  using sip::HeaderId;
  switch (field.id) {
    // End to end in both directions.
    case HeaderId::Supported:
    case HeaderId::Require:
    case HeaderId::SessionExpires:
    case HeaderId::MinSE:
    case HeaderId::Allow:
    case HeaderId::AllowEvents:
    case HeaderId::Accept:
    case HeaderId::AcceptEncoding:
    case HeaderId::AcceptLanguage:
    case HeaderId::ContentDisposition:
    case HeaderId::ContentEncoding:
    case HeaderId::ContentLanguage:
    case HeaderId::PAssertedIdentity:
    case HeaderId::Privacy:
    case HeaderId::Reason:
    case HeaderId::CallInfo:
    case HeaderId::Event:
    case HeaderId::SubscriptionState:
    case HeaderId::ReferTo:
    case HeaderId::ReferredBy:
      return true;
    // Requests only.
    case HeaderId::PPreferredIdentity:
    case HeaderId::Subject:
    case HeaderId::Priority:
    case HeaderId::AlertInfo:
    case HeaderId::Expires:
      return !response;
    // Responses only.
    case HeaderId::RSeq:
    case HeaderId::Unsupported:
    case HeaderId::Warning:
    case HeaderId::RetryAfter:
    case HeaderId::ErrorInfo:
      return response;
    // A redirection's alternatives are the caller's to try (RFC 3261 21.3).
    case HeaderId::Contact:
      return response && status >= 300 && status < 400;
    case HeaderId::Unknown:
      // RFC 6086 INFO packages.
      return sip::text::iequals(field.name, "Info-Package") ||
             sip::text::iequals(field.name, "Recv-Info");
    default:
      return false;
  }
}

void collectRelayedHeaders(const sip::Message& message, std::vector<sip::HeaderLine>& out) {
  for (const sip::HeaderField& field : message.headers()) {
    if (isRelayedHeader(field, message.isResponse(), message.statusCode())) {
      out.push_back({field.name, field.value});
    }
  }
}

}  // namespace sipha::b2bua
