#pragma once
// SIP request methods (RFC 3261 7.1, 27.4; RFC 3262, 3311, 3515, 6086, 6665, 3428, 3903).
// The vocabulary every layer shares; unknown methods are kept as text by the parser.
#include <cstdint>
#include <string_view>

namespace sipha::sip {

enum class Method : std::uint8_t {
  Unknown,
  Invite,
  Ack,
  Bye,
  Cancel,
  Options,
  Register,
  Prack,
  Update,
  Info,
  Refer,
  Subscribe,
  Notify,
  Message,
  Publish,
};

// Case-sensitive, as RFC 3261 7.1 says method names are.
constexpr Method methodFromName(std::string_view name) noexcept {
  switch (name.size()) {
    case 3:
      if (name == "ACK") return Method::Ack;
      if (name == "BYE") return Method::Bye;
      break;
    case 4:
      if (name == "INFO") return Method::Info;
      break;
    case 5:
      if (name == "PRACK") return Method::Prack;
      if (name == "REFER") return Method::Refer;
      break;
    case 6:
      if (name == "INVITE") return Method::Invite;
      if (name == "CANCEL") return Method::Cancel;
      if (name == "UPDATE") return Method::Update;
      if (name == "NOTIFY") return Method::Notify;
      break;
    case 7:
      if (name == "OPTIONS") return Method::Options;
      if (name == "MESSAGE") return Method::Message;
      if (name == "PUBLISH") return Method::Publish;
      break;
    case 8:
      if (name == "REGISTER") return Method::Register;
      break;
    case 9:
      if (name == "SUBSCRIBE") return Method::Subscribe;
      break;
    default:
      break;
  }
  return Method::Unknown;
}

constexpr std::string_view methodName(Method method) noexcept {
  switch (method) {
    case Method::Invite:
      return "INVITE";
    case Method::Ack:
      return "ACK";
    case Method::Bye:
      return "BYE";
    case Method::Cancel:
      return "CANCEL";
    case Method::Options:
      return "OPTIONS";
    case Method::Register:
      return "REGISTER";
    case Method::Prack:
      return "PRACK";
    case Method::Update:
      return "UPDATE";
    case Method::Info:
      return "INFO";
    case Method::Refer:
      return "REFER";
    case Method::Subscribe:
      return "SUBSCRIBE";
    case Method::Notify:
      return "NOTIFY";
    case Method::Message:
      return "MESSAGE";
    case Method::Publish:
      return "PUBLISH";
    case Method::Unknown:
      break;
  }
  return {};
}

}  // namespace sipha::sip
