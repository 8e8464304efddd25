// CallConfig's addresses per transport (types.hpp): what sipd writes in its Via and Contact on
// each transport (RFC 3261 18.1.1, 12.1.1).
#include <string>

#include "b2bua/types.hpp"
#include "sip/text.hpp"

namespace sipha::b2bua {

void CallConfig::setLocal(const std::string& host, std::uint16_t port, std::uint16_t tlsPort) {
  const std::string plain = host + ":" + std::to_string(port);
  // A TLS listener that is off still names the standard port: sipd may reach a TLS peer as a
  // client, whose in-dialog requests then come back on that connection (RFC 3261 18.2.1 flows).
  const std::string secure = host + ":" + std::to_string(tlsPort != 0 ? tlsPort : 5061);
  udp = {plain, "<sip:" + plain + ">"};
  tcp = {plain, "<sip:" + plain + ";transport=tcp>"};
  tls = {secure, "<sip:" + secure + ";transport=tls>"};
  secureContact = "<sips:" + secure + ">";
}

const LocalAddress& CallConfig::local(std::string_view transport) const noexcept {
  if (sip::text::iequals(transport, "TLS")) return tls;
  if (sip::text::iequals(transport, "TCP")) return tcp;
  return udp;
}

}  // namespace sipha::b2bua
