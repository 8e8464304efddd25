#pragma once
// Helpers shared by the sip unit tests: messages written with "\n" become CRLF on the wire.
#include <ostream>
#include <string>
#include <string_view>

#include "sip/method.hpp"
#include "sip/parse_error.hpp"

namespace sipha::sip {
// Boost.Test prints these on failure.
inline std::ostream& operator<<(std::ostream& os, Method m) {
  return os << (m == Method::Unknown ? std::string_view("Unknown") : methodName(m));
}
inline std::ostream& operator<<(std::ostream& os, ParseError e) { return os << errorName(e); }
}  // namespace sipha::sip

namespace sipha::sip::test {

inline std::string crlf(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 64);
  for (char c : text) {
    if (c == '\n') out.push_back('\r');
    out.push_back(c);
  }
  return out;
}

inline constexpr std::string_view kRegister =
    "REGISTER sip:example.com SIP/2.0\n"
    "Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bKreg01;rport\n"
    "Via: SIP/2.0/TCP proxy.example.com;branch=z9hG4bKp2, SIP/2.0/UDP "
    "[2001:db8::1]:5070;branch=z9hG4bKp3\n"
    "Max-Forwards: 70\n"
    "From: \"Desk 2001\" <sip:2001@example.com>;tag=reg-tag-1\n"
    "To: <sip:2001@example.com>\n"
    "Call-ID: reg-0001@192.0.2.20\n"
    "CSeq: 17 REGISTER\n"
    "Contact: <sip:2001@192.0.2.20:5060;transport=udp>;expires=3600;q=0.8, \"A, B\" <sip:x@h>\n"
    "Expires: 1800\n"
    "Supported: path, outbound\n"
    "X-Custom: hello\n"
    "Content-Length: 0\n"
    "\n";

}  // namespace sipha::sip::test
