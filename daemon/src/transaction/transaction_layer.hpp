#pragma once
// The transaction table: matches incoming messages to transactions (RFC 3261 17.1.3, 17.2.3),
// detects merged requests (8.2.2.2), creates transactions within a configured limit, and owns
// their lifetime. Pure: time comes from the injected TimerWheel, bytes leave through the injected
// TransportSink, events the messages do not carry go to the injected TransactionUser.
//
// Lifetime contract: a transaction pointer returned by the layer stays valid until the
// transaction has been reported to TransactionUser::onTerminated and control has returned to the
// event loop; terminated transactions are freed at the start of the next receive*/startClient
// call or timer dispatch (or by reap()).
//
// Single-threaded; the wheel, sink and user must outlive the layer.
#include <cstddef>
#include <cstdint>
#include <string>

#include "timer/timer_wheel.hpp"
#include "transaction/client_transaction.hpp"
#include "transaction/config.hpp"
#include "transaction/counters.hpp"
#include "transaction/interfaces.hpp"
#include "transaction/intrusive_hash_table.hpp"
#include "transaction/messages.hpp"
#include "transaction/outcomes.hpp"
#include "transaction/server_transaction.hpp"

namespace sipha::transaction {

class TransactionLayer {
 public:
  TransactionLayer(timer::TimerWheel& wheel, TransportSink& sink, TransactionUser& user,
                   Config config = {});
  TransactionLayer(const TransactionLayer&) = delete;
  TransactionLayer& operator=(const TransactionLayer&) = delete;
  // Frees every transaction without callbacks.
  ~TransactionLayer();

  // A request from the network (any method, ACK included). With `mayCreate` false, a request
  // that matches no server transaction (a new one) creates none and is NotCreated — before the
  // merge and limit checks; retransmissions and ACKs are matched as usual (a switchover drain).
  RequestOutcome receiveRequest(const IncomingRequest& request, bool mayCreate = true);
  // A response from the network.
  ResponseOutcome receiveResponse(const IncomingResponse& response);
  // Starts a client transaction for a request the TU built (`bytes`, moved in) and sends it.
  ClientStart startClient(const OutgoingRequest& request, std::string bytes);

  // 17.1.4: the transport reports that what was sent to `destination` (a stream connection
  // that could not be set up, a TLS handshake that failed, a connection that closed with
  // output queued) did not leave: every live client transaction toward that address over that
  // transport ends at once, as a transport error, instead of waiting for Timer B/F. Returns
  // how many ended. A scan of the table: it runs per failed connection, not per message.
  std::size_t failDestination(const transport::Peer& destination);

  // 9.2: the INVITE server transaction a CANCEL targets (same key, method INVITE), or nullptr.
  ServerTransaction* findCancelTarget(const IncomingRequest& cancel) noexcept;

  std::size_t serverCount() const noexcept { return servers_.size(); }
  std::size_t clientCount() const noexcept { return clients_.size(); }
  const Counters& counters() const noexcept { return counters_; }
  const Config& config() const noexcept { return config_; }

  // Frees terminated transactions now (also done automatically, see above).
  void reap() noexcept;

 private:
  friend class Transaction;
  friend class ClientTransaction;
  friend class ServerTransaction;
  class EntryGuard;

  ServerTransaction* findServer(const ServerKey& key, std::uint64_t hash, std::string_view toTag,
                                bool ack) noexcept;
  ServerTransaction* findMerged(const MergeKey& key, std::uint64_t hash) noexcept;
  void dispatchTimer(Transaction& transaction, TimerName name);
  void transportFailed(Transaction& transaction);
  void retire(Transaction& transaction);

  timer::TimerWheel& wheel_;
  TransportSink& sink_;
  TransactionUser& user_;
  Config config_;
  Counters counters_;
  std::uint64_t seed_;
  IntrusiveHashTable<ServerTransaction, &ServerTransaction::primaryLink_> servers_;
  IntrusiveHashTable<ServerTransaction, &ServerTransaction::mergeLink_> mergeIndex_;
  IntrusiveHashTable<ClientTransaction, &ClientTransaction::link_> clients_;
  Transaction* graveyard_ = nullptr;
  unsigned depth_ = 0;
};

}  // namespace sipha::transaction
