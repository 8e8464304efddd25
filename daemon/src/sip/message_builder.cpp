#include "sip/message_builder.hpp"

#include <charconv>
#include <functional>

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

// The top Via value with received= and rport=value written in (RFC 3261 18.2.1, RFC 3581 4).
void appendTopViaValue(std::string& out, const Message& request, const ResponseSpec& spec) {
  const std::string_view value = request.vias().front();
  const Via& via = request.topVia();
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
}

// Every Via of the request in order (8.2.6.2), keeping its field layout (a comma-combined field
// stays one field, 7.3.1) so the response has no more header lines than the request. Via values
// the parser did not store as fields (header limit reached) follow one per line.
void appendVias(std::string& out, const Message& request, const ResponseSpec& spec) {
  const auto& vias = request.vias();
  if (vias.empty()) return;
  const char* top = vias.front().data();
  const char* writtenEnd = nullptr;
  bool topWritten = false;
  for (const auto& field : request.headers()) {
    // A field without any value (the parser reported it) is not repeated.
    if (field.id != HeaderId::Via || !CommaSplitter(field.value).next()) continue;
    const char* begin = field.value.data();
    const char* end = begin + field.value.size();
    out.append("Via: ");
    if (!topWritten && top >= begin && top < end) {
      out.append(begin, std::size_t(top - begin));
      appendTopViaValue(out, request, spec);
      const char* afterTop = top + vias.front().size();
      out.append(afterTop, std::size_t(end - afterTop));
      topWritten = true;
    } else {
      out.append(field.value);
    }
    out.append(kCrlf);
    writtenEnd = end;
  }
  for (const auto via : vias) {
    if (writtenEnd != nullptr && std::less<const char*>()(via.data(), writtenEnd)) continue;
    out.append("Via: ");
    if (via.data() == top && !topWritten) {
      appendTopViaValue(out, request, spec);
    } else {
      out.append(via);
    }
    out.append(kCrlf);
  }
}

}  // namespace

std::string buildResponse(const Message& request, const ResponseSpec& spec) {
  const bool addTag = !spec.toTag.empty() && request.to().tag.empty();
  std::size_t size = 16 + spec.reason.size();
  for (const auto via : request.vias()) size += headerSize("Via", via);
  for (const auto& field : request.headers()) {
    if (field.id == HeaderId::Via) size += headerSize("Via", field.value);
  }
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
  appendVias(out, request, spec);
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
