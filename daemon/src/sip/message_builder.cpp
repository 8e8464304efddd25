#include "sip/message_builder.hpp"

#include <charconv>

namespace sipha::sip {
namespace {

constexpr std::string_view kCrlf = "\r\n";

void appendNumber(std::string& out, std::uint32_t value) {
  char digits[16];
  const auto r = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, std::size_t(r.ptr - digits));
}

void appendHeader(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  out.append(value);
  out.append(kCrlf);
}

std::size_t headerSize(std::string_view name, std::string_view value) {
  return name.size() + value.size() + 4;
}

std::size_t extraSize(std::span<const HeaderLine> headers) {
  std::size_t n = 0;
  for (const auto& h : headers) n += headerSize(h.name, h.value);
  return n;
}

void appendTail(std::string& out, std::span<const HeaderLine> headers, std::string_view contentType,
                std::string_view body) {
  for (const auto& h : headers) appendHeader(out, h.name, h.value);
  if (!body.empty() && !contentType.empty()) appendHeader(out, "Content-Type", contentType);
  out.append("Content-Length: ");
  appendNumber(out, std::uint32_t(body.size()));
  out.append(kCrlf);
  out.append(kCrlf);
  out.append(body);
}

std::size_t tailSize(std::span<const HeaderLine> headers, std::string_view contentType,
                     std::string_view body) {
  return extraSize(headers) + headerSize("Content-Type", contentType) + 32 + body.size();
}

// Top Via with received= and rport=value written in (RFC 3261 18.2.1, RFC 3581 4).
void appendTopVia(std::string& out, const Message& request, const ResponseSpec& spec) {
  const std::string_view value = request.vias().front();
  const Via& via = request.topVia();
  out.append("Via: ");
  const bool fillRport =
      spec.viaRport != 0 && via.hasRport && via.rport.empty() && !via.rportParam.empty() &&
      via.rportParam.data() >= value.data() &&
      via.rportParam.data() + via.rportParam.size() <= value.data() + value.size();
  if (fillRport) {
    const auto split = std::size_t(via.rportParam.data() + via.rportParam.size() - value.data());
    out.append(value.substr(0, split));
    out.push_back('=');
    appendNumber(out, spec.viaRport);
    out.append(value.substr(split));
  } else {
    out.append(value);
  }
  if (!spec.viaReceived.empty() && via.received.empty()) {
    out.append(";received=");
    out.append(spec.viaReceived);
  }
  out.append(kCrlf);
}

}  // namespace

std::string buildResponse(const Message& request, const ResponseSpec& spec) {
  const bool addTag = !spec.toTag.empty() && request.to().tag.empty();
  std::size_t size = 16 + spec.reason.size();
  for (const auto via : request.vias()) size += headerSize("Via", via);
  size += 40 + spec.viaReceived.size();
  size += headerSize("From", request.fromText()) + headerSize("To", request.toText());
  size += addTag ? spec.toTag.size() + 5 : 0;
  size += headerSize("Call-ID", request.callId()) + headerSize("CSeq", request.cseqText());
  size += tailSize(spec.headers, spec.contentType, spec.body);

  std::string out;
  out.reserve(size);
  out.append("SIP/2.0 ");
  appendNumber(out, spec.status);
  out.push_back(' ');
  out.append(spec.reason);
  out.append(kCrlf);
  bool first = true;
  for (const auto via : request.vias()) {
    if (first) {
      appendTopVia(out, request, spec);
      first = false;
    } else {
      appendHeader(out, "Via", via);
    }
  }
  appendHeader(out, "From", request.fromText());
  out.append("To: ");
  out.append(request.toText());
  if (addTag) {
    out.append(";tag=");
    out.append(spec.toTag);
  }
  out.append(kCrlf);
  appendHeader(out, "Call-ID", request.callId());
  appendHeader(out, "CSeq", request.cseqText());
  appendTail(out, spec.headers, spec.contentType, spec.body);
  return out;
}

std::string buildRequest(const RequestSpec& spec) {
  const std::string_view method =
      spec.method == Method::Unknown ? spec.methodText : methodName(spec.method);
  std::string out;
  out.reserve(method.size() + spec.requestUri.size() + 16 +
              tailSize(spec.headers, spec.contentType, spec.body));
  out.append(method);
  out.push_back(' ');
  out.append(spec.requestUri);
  out.append(" SIP/2.0");
  out.append(kCrlf);
  appendTail(out, spec.headers, spec.contentType, spec.body);
  return out;
}

std::optional<std::string> buildErrorResponse(const ParseResult& result, std::string_view toTag) {
  if (!result.canRespond || !result.message) return std::nullopt;
  ResponseSpec spec;
  spec.status = statusCode(result.error);
  spec.reason = reasonPhrase(result.error);
  spec.toTag = toTag;
  return buildResponse(*result.message, spec);
}

}  // namespace sipha::sip
