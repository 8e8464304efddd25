#include "b2bua/dialog.hpp"

#include <charconv>

#include "sip/header_id.hpp"
#include "sip/name_addr.hpp"
#include "sip/params.hpp"
#include "sip/text.hpp"
#include "sip/uri.hpp"

namespace sipha::b2bua {
namespace {

std::string_view uriOfRoute(std::string_view route) {
  sip::NameAddr value;
  if (!sip::parseNameAddr(route, value)) return {};
  return value.uri;
}

bool isLooseRouter(std::string_view route) {
  sip::NameAddr value;
  sip::Uri uri;
  return sip::parseNameAddr(route, value) && value.parsedUri(uri) && uri.paramList().has("lr");
}

// Record-Route values, checked; false if one is malformed.
bool recordRoutes(const sip::Message& message, std::vector<std::string>& out) {
  out.clear();
  for (std::string_view value : message.values(sip::HeaderId::RecordRoute)) {
    sip::NameAddr parsed;
    if (!sip::parseNameAddr(value, parsed)) return false;
    out.emplace_back(value);
  }
  return true;
}

void appendNumber(std::string& out, std::uint32_t value) {
  char buffer[16];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, result.ptr);
}

}  // namespace

std::string withoutTransportParam(std::string_view nameAddr) {
  std::string out{nameAddr};
  const std::size_t open = out.find('<');
  const std::size_t close = open == std::string::npos ? open : out.find('>', open);
  if (close == std::string::npos) return out;
  constexpr std::string_view kParam = ";transport=";
  for (std::size_t at = open; at + kParam.size() <= close; ++at) {
    if (!sip::text::iequals(std::string_view{out}.substr(at, kParam.size()), kParam)) continue;
    std::size_t end = out.find_first_of(";?>", at + 1);
    out.erase(at, end - at);  // end <= close: the '>' is always found
    break;
  }
  return out;
}

std::string nameAddrWithoutTag(const sip::NameAddr& value) {
  std::string out;
  out.reserve(value.displayName.size() + value.uri.size() + value.params.size() + 8);
  if (!value.displayName.empty()) {
    out.push_back('"');
    out.append(value.displayName);
    out.append("\" ");
  }
  out.push_back('<');
  out.append(value.uri);
  out.push_back('>');
  for (const sip::Param& param : value.paramList()) {
    if (param.name.size() == 3 && (param.name[0] | 0x20) == 't' && (param.name[1] | 0x20) == 'a' &&
        (param.name[2] | 0x20) == 'g') {
      continue;
    }
    out.push_back(';');
    out.append(param.name);
    if (param.hasValue) {
      out.push_back('=');
      out.append(param.value);
    }
  }
  return out;
}

std::optional<std::string> contactUri(const sip::Message& message) {
  std::optional<std::string> found;
  for (std::string_view value : message.values(sip::HeaderId::Contact)) {
    if (found) return std::nullopt;  // more than one: not a dialog Contact
    sip::NameAddr parsed;
    sip::Uri uri;
    if (!sip::parseNameAddr(value, parsed) || parsed.star || !parsed.parsedUri(uri)) {
      return std::nullopt;
    }
    found.emplace(parsed.uri);
  }
  return found;
}

DialogError createUasDialog(const sip::Message& request, std::string_view localTag, bool secure,
                            Dialog& out) {
  if (!request.has(sip::HeaderId::Contact)) return DialogError::MissingContact;
  std::optional<std::string> target = contactUri(request);
  if (!target) return DialogError::BadContact;
  if (!recordRoutes(request, out.routeSet)) return DialogError::BadRecordRoute;
  out.remoteTarget = std::move(*target);
  out.callId.assign(request.callId());
  out.remoteTag.assign(request.from().tag);
  out.localTag.assign(localTag);
  out.remoteUri = nameAddrWithoutTag(request.from());
  out.localUri = nameAddrWithoutTag(request.to());
  out.remoteCseq = request.cseq().number;
  out.localCseq.reset();
  out.secure = secure;
  out.state = DialogState::Early;
  return DialogError::None;
}

DialogError applyUacResponse(const sip::Message& response, Dialog& dialog) {
  if (response.to().tag.empty()) return DialogError::MissingTag;
  std::optional<std::string> target = contactUri(response);
  if (!target) {
    // A 1xx may omit the Contact; a 2xx to INVITE must carry one (13.3.1.4).
    if (response.statusCode() >= 200 || response.has(sip::HeaderId::Contact)) {
      return response.has(sip::HeaderId::Contact) ? DialogError::BadContact
                                                  : DialogError::MissingContact;
    }
  }
  std::vector<std::string> routes;
  if (!recordRoutes(response, routes)) return DialogError::BadRecordRoute;
  dialog.routeSet.assign(std::make_move_iterator(routes.rbegin()),
                         std::make_move_iterator(routes.rend()));
  if (target) dialog.remoteTarget = std::move(*target);
  dialog.remoteTag.assign(response.to().tag);
  dialog.state = response.statusCode() >= 200 ? DialogState::Confirmed : DialogState::Early;
  return DialogError::None;
}

bool refreshRemoteTarget(const sip::Message& message, Dialog& dialog) {
  std::optional<std::string> target = contactUri(message);
  if (!target) return false;
  dialog.remoteTarget = std::move(*target);
  return true;
}

bool acceptRemoteCseq(std::uint32_t cseq, Dialog& dialog) noexcept {
  if (dialog.remoteCseq && cseq < *dialog.remoteCseq) return false;
  dialog.remoteCseq = cseq;
  return true;
}

BuiltRequest buildInDialogRequest(Dialog& dialog, const InDialogRequest& spec) {
  BuiltRequest built;
  std::string_view methodText =
      spec.method == sip::Method::Unknown ? spec.methodText : sip::methodName(spec.method);
  if (spec.cseq) {
    built.cseq = *spec.cseq;
  } else {
    built.cseq = dialog.localCseq ? *dialog.localCseq + 1 : 1;
    dialog.localCseq = built.cseq;
  }

  std::vector<std::string>& routes = built.routes;
  routes.reserve(dialog.routeSet.size() + 1);
  if (dialog.routeSet.empty() || isLooseRouter(dialog.routeSet.front())) {
    built.requestUri = dialog.remoteTarget;
    routes = dialog.routeSet;
  } else {
    built.requestUri.assign(uriOfRoute(dialog.routeSet.front()));
    routes.assign(dialog.routeSet.begin() + 1, dialog.routeSet.end());
    routes.push_back("<" + dialog.remoteTarget + ">");
  }
  built.nextHop =
      dialog.routeSet.empty() ? built.requestUri : std::string(uriOfRoute(dialog.routeSet.front()));

  std::string via = "SIP/2.0/";
  via.append(dialog.transport).append(" ").append(spec.viaSentBy);
  via.append(";branch=").append(spec.branch).append(";rport");
  std::string maxForwards;
  appendNumber(maxForwards, spec.maxForwards);
  std::string from = dialog.localUri + ";tag=" + dialog.localTag;
  std::string& to = built.to;
  to = dialog.remoteUri;
  if (!dialog.remoteTag.empty()) to.append(";tag=").append(dialog.remoteTag);
  std::string cseq;
  appendNumber(cseq, built.cseq);
  cseq.push_back(' ');
  cseq.append(methodText);

  std::vector<sip::HeaderLine> lines;
  lines.reserve(8 + routes.size() + spec.headers.size());
  lines.push_back({"Via", via});
  lines.push_back({"Max-Forwards", maxForwards});
  for (const std::string& route : routes) lines.push_back({"Route", route});
  lines.push_back({"From", from});
  lines.push_back({"To", to});
  lines.push_back({"Call-ID", dialog.callId});
  lines.push_back({"CSeq", cseq});
  if (!spec.contact.empty()) lines.push_back({"Contact", spec.contact});
  lines.insert(lines.end(), spec.headers.begin(), spec.headers.end());

  sip::RequestSpec request;
  request.method = spec.method;
  request.methodText = methodText;
  request.requestUri = built.requestUri;
  request.headers = lines;
  request.contentType = spec.contentType;
  request.body = spec.body;
  built.bytes = sip::buildRequest(request);
  return built;
}

}  // namespace sipha::b2bua
