#pragma once
// Client transactions, RFC 3261 17.1: INVITE (17.1.1, figure 5, with RFC 6026's Accepted state
// and Timer M) and non-INVITE (17.1.2, figure 6). Created by TransactionLayer::startClient.
#include <string>

#include "transaction/intrusive_hash_table.hpp"
#include "transaction/messages.hpp"
#include "transaction/outcomes.hpp"
#include "transaction/transaction.hpp"

namespace sipha::transaction {

class ClientTransaction final : public Transaction {
 public:
  const ClientKey& key() const noexcept { return key_; }
  // The request this transaction sends (an INVITE's ACK for a non-2xx final is built from it,
  // 17.1.1.3, while TransactionUser::buildAck runs; afterwards it holds that ACK).
  std::string_view requestBytes() const noexcept { return bytes_; }

 private:
  friend class TransactionLayer;

  ClientTransaction(TransactionLayer& layer, const OutgoingRequest& request, std::string bytes);
  // Sends the request and starts A/B or E/F; false when the first send failed.
  bool start();
  ResponseDisposition receiveResponse(const IncomingResponse& response);
  ResponseDisposition receiveInviteResponse(const IncomingResponse& response);
  ResponseDisposition receiveNonInviteResponse(const IncomingResponse& response);
  void onTimer(TimerName name) override;

  ClientKey key_;
  HashLink<ClientTransaction> link_;
};

}  // namespace sipha::transaction
