#pragma once
// Which header fields cross the B2BUA from one leg to the other. Everything that describes the
// hop (Via, Route, Record-Route, Contact, Max-Forwards, Call-ID, tags, CSeq) is the leg's own;
// end-to-end extensions pass: 100rel (RFC 3262: Require/Supported/RSeq; RAck is rewritten by the
// Call), session timers (RFC 4028: Session-Expires, Min-SE), identity (RFC 3325), INFO packages
// (RFC 6086), events (RFC 6665), and the informational headers of responses.
#include <string_view>
#include <vector>

#include "sip/message.hpp"
#include "sip/message_builder.hpp"

namespace sipha::b2bua {

// True when a header of `field` is copied from `message` to the relayed message.
bool isRelayedHeader(const sip::HeaderField& field, bool response, std::uint16_t status) noexcept;

// Appends views of the relayed header fields of `message` (valid while `message` lives).
void collectRelayedHeaders(const sip::Message& message, std::vector<sip::HeaderLine>& out);

}  // namespace sipha::b2bua
