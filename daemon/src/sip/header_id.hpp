#pragma once
// Header field names the stack knows (RFC 3261 20 and extensions) and their compact forms
// (RFC 3261 7.3.3: i m e l c f s k t v; RFC 3265 o u; RFC 3515 r; RFC 3892 b; RFC 4028 x).
// Unknown headers are kept by the parser with HeaderId::Unknown and their name text.
#include <cstdint>
#include <string_view>

namespace sipha::sip {

enum class HeaderId : std::uint8_t {
  Unknown,
  Accept,
  AcceptEncoding,
  AcceptLanguage,
  AlertInfo,
  Allow,
  AllowEvents,
  AuthenticationInfo,
  Authorization,
  CallId,
  CallInfo,
  Contact,
  ContentDisposition,
  ContentEncoding,
  ContentLanguage,
  ContentLength,
  ContentType,
  CSeq,
  Date,
  ErrorInfo,
  Event,
  Expires,
  From,
  InReplyTo,
  MaxForwards,
  MimeVersion,
  MinExpires,
  MinSE,
  Organization,
  PAssertedIdentity,
  PPreferredIdentity,
  Path,
  Priority,
  Privacy,
  ProxyAuthenticate,
  ProxyAuthorization,
  ProxyRequire,
  RAck,
  Reason,
  RecordRoute,
  ReferredBy,
  ReferTo,
  Replaces,
  ReplyTo,
  Require,
  RetryAfter,
  Route,
  RSeq,
  Server,
  SessionExpires,
  Subject,
  SubscriptionState,
  Supported,
  Timestamp,
  To,
  Unsupported,
  UserAgent,
  Via,
  Warning,
  WwwAuthenticate,
  Count_,  // number of ids; not a header
};

// Case-insensitive (RFC 3261 7.3.1); compact forms map to their full header.
HeaderId headerIdFromName(std::string_view name) noexcept;

// Canonical long name for serialisation; empty for Unknown.
std::string_view headerName(HeaderId id) noexcept;

}  // namespace sipha::sip
