#pragma once
// REGISTER on the wire <-> the registrar (RFC 3261 10.3). Turns the parsed message into a
// registrar::RegisterRequest, the result into the response, and — with
// internal-registrar-persistent — holds every 200 that changed bindings until the SQLite
// journal reports those changes durable, so no binding answered 200 is lost to a SIGKILL.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/config/config.hpp"
#include "core/core_counters.hpp"
#include "registrar/registrar.hpp"
#include "registrar/sqlite_journal.hpp"
#include "replication/state_log.hpp"
#include "sip/message.hpp"
#include "sip/message_builder.hpp"
#include "timer/timer_wheel.hpp"
#include "transaction/server_transaction.hpp"

namespace sipha::core {

class RegisterHandler final : public replication::StateConsumer {
 public:
  using NowSeconds = std::function<std::int64_t()>;  // wall clock, seconds since the epoch
  // Sends a response through its server transaction (so it is retransmitted as needed).
  using Responder =
      std::function<void(transaction::ServerTransaction&, std::uint16_t status, std::string bytes)>;

  RegisterHandler(timer::TimerWheel& wheel, CoreCounters& counters, NowSeconds now,
                  Responder responder);
  ~RegisterHandler();

  // The state stream (docs/replication.md): set before open(). The registrar's events are
  // published there, and the SQLite journal reads them back from it as its first consumer.
  void setStateLog(replication::StateLog* log);
  // Synchronous replication of REGISTER (docs/replication.md): `wait(seq, done)` returns true
  // when the 200 must wait for the backup's acknowledgement of stream sequence `seq` (then
  // `done(replicated)` runs later), false to answer without waiting.
  using PeerWait = std::function<bool(std::uint64_t seq, std::function<void(bool)> done)>;
  void setPeerWait(PeerWait wait) { peerWait_ = std::move(wait); }
  // Only the primary expires bindings on its clock; a backup follows the primary's Expired
  // events (docs/replication.md).
  void setExpiring(bool expiring);
  // The backup's side: the primary's events (apply) or snapshot (restore), and its nonce secret.
  void beginReplicaSnapshot();
  void applyReplicated(registrar::Event&& event, bool fromSnapshot);
  void endReplicaSnapshot();
  void setNonceSecret(const std::string& secret);
  std::string nonceSecret() const;
  void onRecord(std::uint64_t seq, const replication::Record& record,
                std::string_view encoded) override;

  // Creates the registrar; with persistence opens <data-dir>/registrar.sqlite, loads the
  // unexpired bindings and starts the journal writer. False with `error` set on failure.
  bool open(std::shared_ptr<const common::Config> config, std::string& error);
  // A reloaded configuration: the DN table (who may register, passwords) changes at once.
  void configure(std::shared_ptr<const common::Config> config);

  // `spec` already carries the To tag and the Via rewriting for this request.
  void handle(const sip::Message& request, transaction::ServerTransaction& transaction,
              std::string_view source, sip::ResponseSpec spec);

  // Called after every change of the bindings (REGISTER or expiry), e.g. to refresh STATUS=.
  void setChangeListener(std::function<void()> listener) { changeListener_ = std::move(listener); }

  // The journal's eventfd (-1 without persistence) and its drain, for the event loop.
  int completionFd() const { return journal_ ? journal_->completionFd() : -1; }
  void drainCompletions();
  // The transaction is gone: a held response for it is dropped.
  void forget(const transaction::Transaction& transaction);

  std::size_t bindingCount() const { return registrar_ ? registrar_->bindingCount() : 0; }
  const registrar::Registrar* registrar() const { return registrar_.get(); }
  const registrar::SqliteJournal* journal() const { return journal_.get(); }

 private:
  bool buildRequest(const sip::Message& request, std::string_view source);
  void release(std::uint64_t id);
  void scheduleExpiry();
  void expire();

  timer::TimerWheel& wheel_;
  CoreCounters& counters_;
  NowSeconds now_;
  Responder responder_;
  std::function<void()> changeListener_;
  std::shared_ptr<const common::Config> config_;
  std::unique_ptr<registrar::Registrar> registrar_;
  std::unique_ptr<registrar::SqliteJournal> journal_;
  timer::TimerHandle expiryTimer_;
  std::int64_t expiryScheduledAt_ = 0;
  // Scratch reused for every REGISTER (no allocation per packet once warm).
  registrar::RegisterRequest request_;
  std::vector<std::string> contactParams_;
  std::string contactHeader_;
  std::string minExpires_;
  std::vector<sip::HeaderLine> headers_;
  // Held 200s, until their events are durable. By id, so that a completion never reaches a
  // later transaction that happens to reuse a freed transaction's address.
  struct Held {
    transaction::ServerTransaction* transaction;
    std::string bytes;
    int waits = 1;       // journal and/or backup, plus one while they are being registered
    bool stored = true;  // false: the journal failed (answer 500)
  };
  replication::StateLog* log_ = nullptr;
  PeerWait peerWait_;
  bool expiring_ = true;
  std::uint64_t snapshotSequence_ = 0;
  std::unordered_map<std::uint64_t, Held> held_;
  std::unordered_map<const transaction::Transaction*, std::uint64_t> heldIds_;
  std::uint64_t nextHeldId_ = 1;
};

}  // namespace sipha::core
