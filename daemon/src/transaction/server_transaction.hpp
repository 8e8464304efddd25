#pragma once
// Server transactions, RFC 3261 17.2: INVITE (17.2.1, figure 7, with RFC 6026's Accepted state
// and Timer L; 2xx retransmission is the TU's job) and non-INVITE (17.2.2, figure 8). Created by
// TransactionLayer::receiveRequest; the TU answers through respond() so the transaction can
// retransmit its response.
#include <cstdint>
#include <string>

#include "transaction/intrusive_hash_table.hpp"
#include "transaction/messages.hpp"
#include "transaction/outcomes.hpp"
#include "transaction/transaction.hpp"

namespace sipha::transaction {

class ServerTransaction final : public Transaction {
 public:
  // Sends (and keeps for retransmission) a response. 1xx: Proceeding. INVITE 2xx: Accepted (the
  // TU may pass further 2xx retransmissions through here). INVITE 3xx-6xx: Completed (G, H).
  // Non-INVITE final: Completed (J).
  RespondResult respond(std::uint16_t status, std::string bytes);
  // Overrides where responses go (default: where the request came from); 18.2.2 is the
  // transport layer's decision.
  void setResponseDestination(const transport::Peer& to) noexcept { peer_ = to; }

  const ServerKey& key() const noexcept { return key_; }
  std::string_view callId() const noexcept { return mergeKey_.callId; }
  std::string_view fromTag() const noexcept { return mergeKey_.fromTag; }
  std::uint32_t cseq() const noexcept { return mergeKey_.cseq; }

 private:
  friend class TransactionLayer;

  ServerTransaction(TransactionLayer& layer, const IncomingRequest& request);
  RequestDisposition receiveRetransmission();
  RequestDisposition receiveAck();
  void onTimer(TimerName name) override;

  ServerKey key_;
  MergeKey mergeKey_;
  std::string_view toTag_;  // RFC 2543 matching only
  HashLink<ServerTransaction> primaryLink_;
  HashLink<ServerTransaction> mergeLink_;
};

}  // namespace sipha::transaction
