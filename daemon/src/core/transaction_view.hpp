#pragma once
// The transaction layer's view of a parsed message (transaction/messages.hpp): views into the
// message, valid as long as it is.
#include <string_view>

#include "sip/message.hpp"
#include "transaction/messages.hpp"
#include "transport/peer.hpp"

namespace sipha::core {

transaction::IncomingRequest transactionView(const sip::Message& request,
                                             const transport::Peer& from, std::string_view toTag);
transaction::IncomingResponse responseView(const sip::Message& response,
                                           const transport::Peer& from);

}  // namespace sipha::core
