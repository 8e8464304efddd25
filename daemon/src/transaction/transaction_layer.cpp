#include "transaction/transaction_layer.hpp"

#include <algorithm>
#include <random>
#include <vector>

#include "transport/peer.hpp"

namespace sipha::transaction {

// Marks a call from the event loop; the outermost one first frees terminated transactions, so no
// transaction is freed while one of its methods, or the TU holding it, is still on the stack.
class TransactionLayer::EntryGuard {
 public:
  explicit EntryGuard(TransactionLayer& layer) noexcept : layer_(layer) {
    if (layer_.depth_++ == 0) layer_.reap();
  }
  ~EntryGuard() { --layer_.depth_; }
  EntryGuard(const EntryGuard&) = delete;
  EntryGuard& operator=(const EntryGuard&) = delete;

 private:
  TransactionLayer& layer_;
};

namespace {

// A zero T1 would make Timer B/F zero and end client transactions before they are tabled.
Config sanitized(Config config) {
  using std::chrono::milliseconds;
  config.timers.t1 = std::max(config.timers.t1, milliseconds(1));
  config.timers.t2 = std::max(config.timers.t2, config.timers.t1);
  config.timers.t4 = std::max(config.timers.t4, milliseconds(1));
  config.timers.timerD = std::max(config.timers.timerD, milliseconds(1));
  return config;
}

std::uint64_t randomSeed() {
  std::random_device device;
  return (std::uint64_t{device()} << 32) ^ device();
}

}  // namespace

TransactionLayer::TransactionLayer(timer::TimerWheel& wheel, TransportSink& sink,
                                   TransactionUser& user, Config config)
    : wheel_(wheel),
      sink_(sink),
      user_(user),
      config_(sanitized(config)),
      seed_(randomSeed()),
      servers_(config.maxServerTransactions),
      mergeIndex_(config.maxServerTransactions),
      clients_(config.maxClientTransactions) {}

TransactionLayer::~TransactionLayer() {
  reap();
  mergeIndex_.clear([](ServerTransaction&) {});
  servers_.clear([](ServerTransaction& transaction) { delete &transaction; });
  clients_.clear([](ClientTransaction& transaction) { delete &transaction; });
}

void TransactionLayer::reap() noexcept {
  while (graveyard_ != nullptr) {
    Transaction* dead = graveyard_;
    graveyard_ = dead->nextDead_;
    delete dead;
  }
}

ServerTransaction* TransactionLayer::findServer(const ServerKey& key, std::uint64_t hash,
                                                std::string_view toTag, bool ack) noexcept {
  return servers_.find(hash, [&](const ServerTransaction& candidate) {
    // 17.2.3: RFC 2543 requests also match on the To tag, except the ACK (its To tag is the one
    // our response added).
    return candidate.key_ == key && (key.rfc3261 || ack || candidate.toTag_ == toTag);
  });
}

ServerTransaction* TransactionLayer::findMerged(const MergeKey& key, std::uint64_t hash) noexcept {
  return mergeIndex_.find(
      hash, [&](const ServerTransaction& candidate) { return candidate.mergeKey_ == key; });
}

RequestOutcome TransactionLayer::receiveRequest(const IncomingRequest& request, bool mayCreate) {
  EntryGuard guard(*this);
  const bool ack = request.method == sip::Method::Ack;
  const ServerKey key = ServerKey::of(request, serverKeyMethod(request.method));
  const std::uint64_t hash = key.hash(seed_);
  ServerTransaction* existing = findServer(key, hash, request.toTag, ack);

  if (ack) {
    if (existing == nullptr) {  // the ACK for a 2xx has its own branch (13.2.2.4)
      ++counters_.acksToTu;
      return {RequestDisposition::AckForTu, nullptr, nullptr};
    }
    return {existing->receiveAck(), existing, nullptr};
  }
  if (existing != nullptr) return {existing->receiveRetransmission(), existing, nullptr};
  if (!mayCreate) return {RequestDisposition::NotCreated, nullptr, nullptr};  // the TU counts

  // 8.2.2.2: same From tag, Call-ID and CSeq as an ongoing transaction, but another path.
  const bool mergeable = request.toTag.empty();
  const MergeKey mergeKey{request.fromTag, request.callId, request.cseq, request.cseqMethod};
  const std::uint64_t mergeHash = mergeable ? mergeKey.hash(seed_) : 0;
  if (mergeable) {
    if (ServerTransaction* ongoing = findMerged(mergeKey, mergeHash)) {
      ++counters_.mergedRequests;
      return {RequestDisposition::Merged, ongoing, nullptr};
    }
  }
  if (servers_.size() >= config_.maxServerTransactions) {
    ++counters_.overloadRejected;
    return {RequestDisposition::Overloaded, nullptr, nullptr};
  }

  auto* created = new ServerTransaction(*this, request);
  servers_.insert(*created, hash);  // stored key: the same bytes, so the same hash
  if (mergeable) mergeIndex_.insert(*created, mergeHash);
  ++counters_.serverCreated;

  RequestOutcome outcome{RequestDisposition::NewTransaction, created, nullptr};
  if (request.method == sip::Method::Cancel) outcome.cancelTarget = findCancelTarget(request);
  return outcome;
}

ServerTransaction* TransactionLayer::findCancelTarget(const IncomingRequest& cancel) noexcept {
  const ServerKey key = ServerKey::of(cancel, sip::Method::Invite);
  ServerTransaction* target = findServer(key, key.hash(seed_), cancel.toTag, false);
  return target != nullptr && !target->terminated() ? target : nullptr;
}

ResponseOutcome TransactionLayer::receiveResponse(const IncomingResponse& response) {
  EntryGuard guard(*this);
  if (response.status < 100 || response.status > 699) {
    ++counters_.invalidInput;
    return {ResponseDisposition::Invalid, nullptr};
  }
  const ClientKey key{response.branch, response.cseqMethod};
  ClientTransaction* transaction =
      clients_.find(key.hash(seed_), [&](const ClientTransaction& c) { return c.key_ == key; });
  if (transaction == nullptr) {
    ++counters_.strayResponses;
    return {ResponseDisposition::NoMatch, nullptr};
  }
  return {transaction->receiveResponse(response), transaction};
}

ClientStart TransactionLayer::startClient(const OutgoingRequest& request, std::string bytes) {
  EntryGuard guard(*this);
  if (request.method == sip::Method::Ack || request.branch.empty()) {
    return {nullptr, StartError::InvalidRequest};
  }
  if (clients_.size() >= config_.maxClientTransactions) return {nullptr, StartError::TableFull};
  const ClientKey key{request.branch, request.method};
  const std::uint64_t hash = key.hash(seed_);
  if (clients_.find(hash, [&](const ClientTransaction& c) { return c.key_ == key; }) != nullptr) {
    return {nullptr, StartError::DuplicateKey};
  }
  auto* created = new ClientTransaction(*this, request, std::move(bytes));
  if (!created->start()) {
    ++counters_.transportErrors;
    delete created;
    return {nullptr, StartError::TransportError};
  }
  clients_.insert(*created, hash);
  ++counters_.clientCreated;
  return {created, StartError::None};
}

void TransactionLayer::dispatchTimer(Transaction& transaction, TimerName name) {
  EntryGuard guard(*this);
  if (!transaction.terminated()) transaction.onTimer(name);
}

std::size_t TransactionLayer::failDestination(const transport::Peer& destination) {
  EntryGuard guard(*this);
  std::vector<ClientTransaction*> failing;
  clients_.forEach([&](ClientTransaction& client) {
    const transport::Peer& to = client.peer();
    if (!client.terminated() && to.kind == destination.kind &&
        transport::sameAddress(to.address, destination.address)) {
      failing.push_back(&client);
    }
  });
  // Reaping waits for the guard: a transaction ended here stays valid until the loop is over.
  for (ClientTransaction* client : failing) {
    if (!client->terminated()) transportFailed(*client);
  }
  return failing.size();
}

void TransactionLayer::transportFailed(Transaction& transaction) {
  ++counters_.transportErrors;
  user_.onTransportError(transaction);
  transaction.terminate();
}

void TransactionLayer::retire(Transaction& transaction) {
  if (transaction.terminated()) return;
  transaction.state_ = State::Terminated;
  transaction.stopTimers();
  if (transaction.kind_ == TransactionKind::InviteClient ||
      transaction.kind_ == TransactionKind::NonInviteClient) {
    clients_.erase(static_cast<ClientTransaction&>(transaction));
  } else {
    auto& server = static_cast<ServerTransaction&>(transaction);
    servers_.erase(server);
    mergeIndex_.erase(server);
  }
  ++counters_.terminated;
  user_.onTerminated(transaction);
  transaction.nextDead_ = graveyard_;
  graveyard_ = &transaction;
}

}  // namespace sipha::transaction
