#pragma once
// Serialises responses and requests into one std::string, sized first and reserved once
// (RFC 3261 7, 8.1.1, 8.2.6). No iostreams; header values are written as given.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "sip/message.hpp"
#include "sip/method.hpp"
#include "sip/parser.hpp"

namespace sipha::sip {

struct HeaderLine {
  std::string_view name;
  std::string_view value;
};

struct ResponseSpec {
  std::uint16_t status = 200;
  std::string_view reason = "OK";
  std::string_view toTag;               // added to To when the request's To has no tag (8.2.6.2)
  std::span<const HeaderLine> headers;  // extra headers, written after CSeq in this order
  std::string_view contentType;         // written when the body is not empty
  std::string_view body;
  // Top Via rewriting by the server transport (RFC 3261 18.2.1, RFC 3581 4): received= is added
  // when not empty; an rport flag gets this value when non-zero.
  std::string_view viaReceived;
  std::uint16_t viaRport = 0;
};

// A response to `request`: every Via value in order, From, To (+tag), Call-ID, CSeq, the extra
// headers, Content-Type, Content-Length, body (RFC 3261 8.2.6.2).
std::string buildResponse(const Message& request, const ResponseSpec& spec);

struct RequestSpec {
  Method method = Method::Unknown;
  std::string_view methodText;  // used when method is Unknown
  std::string_view requestUri;
  std::span<const HeaderLine> headers;  // in this order (Via, Max-Forwards, To, From, ...)
  std::string_view contentType;
  std::string_view body;
};

// A request: start line, headers, Content-Type when a body is given, Content-Length, body.
std::string buildRequest(const RequestSpec& spec);

// The stateless answer to a broken request (400 with the parser's reason phrase, 505, ...);
// nullopt when result.canRespond is false (drop).
std::optional<std::string> buildErrorResponse(const ParseResult& result,
                                              std::string_view toTag = {});

}  // namespace sipha::sip
