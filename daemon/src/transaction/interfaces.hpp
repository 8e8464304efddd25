#pragma once
// What the daemon implements for the transaction layer: where bytes go, and who is told about
// events that no incoming message carries (timeouts, transport errors, termination).
#include <string>
#include <string_view>

#include "transaction/messages.hpp"
#include "transport/peer.hpp"

namespace sipha::transaction {

class Transaction;
class ClientTransaction;
class ServerTransaction;

class TransportSink {
 public:
  virtual ~TransportSink() = default;
  // Returns false when the transport failed at once (17.1.4, 17.2.4).
  virtual bool send(const transport::Peer& to, std::string_view bytes) = 0;
  // Whether the stream connection `connectionId` (Peer::connectionId) is still open: a flow to
  // reuse (RFC 5626 3.3) or, once closed, a reason to fall back to the peer's Contact.
  virtual bool connected(std::uint64_t /*connectionId*/) const { return false; }
};

class TransactionUser {
 public:
  virtual ~TransactionUser() = default;
  // 17.1.1.3: the ACK for a non-2xx final response to an INVITE. The TU builds it because it owns
  // message construction; the transaction sends it and re-sends it for retransmitted responses.
  virtual std::string buildAck(const ClientTransaction& transaction,
                               const IncomingResponse& response) = 0;
  // Timer B or F fired: the TU acts as if a 408 had arrived (17.1.1.2, 17.1.2.2).
  virtual void onTimeout(ClientTransaction& transaction) = 0;
  // Timer H fired: the ACK for our non-2xx final never came (17.2.1).
  virtual void onTimeout(ServerTransaction& transaction) = 0;
  virtual void onTransportError(Transaction& transaction) = 0;
  // The transaction left the table. It stays valid until control returns to the event loop.
  virtual void onTerminated(Transaction&) {}
};

}  // namespace sipha::transaction
