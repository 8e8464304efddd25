#pragma once
// Durable registrations (internal-registrar-persistent = true): the registrar's events are
// written to SQLite (WAL, synchronous=FULL) by one writer thread with GROUP COMMIT: whatever
// queued up while the previous commit was syncing goes into the next transaction (one fsync per
// batch). When a batch is durable the writer signals completionFd() (an eventfd); the event
// loop then calls drainCompletions(), which runs the callbacks registered with afterDurable() —
// that is where the daemon sends the 200 it held back. See README.md, "Durability".
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "registrar/event.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace sipha::registrar {

class Registrar;

class SqliteJournal {
 public:
  // durable = false when the database failed (disk full, I/O error): the change is in memory
  // only. A failure is sticky: the journal stops writing and every later callback gets false.
  using Completion = std::function<void(bool durable)>;

  struct Stats {
    std::uint64_t batches = 0;  // committed transactions
    std::uint64_t events = 0;   // events committed
    std::uint64_t largestBatch = 0;
    bool failed = false;
  };

  // Opens or creates the database at `path` (e.g. "<data-dir>/registrar.sqlite"). Returns null
  // and sets `error` on failure. No thread runs until start(). `busyTimeoutMs`: how long a
  // commit waits for a lock held by another connection (only tools open the file besides us).
  static std::unique_ptr<SqliteJournal> open(const std::string& path, std::string& error,
                                             int busyTimeoutMs = 5000);
  ~SqliteJournal();  // commits what is queued, stops the writer, closes the database

  SqliteJournal(const SqliteJournal&) = delete;
  SqliteJournal& operator=(const SqliteJournal&) = delete;

  // Before start(): deletes expired rows, restores every binding with expires_at > now into
  // `registrar` (no events emitted) and sets its sequence to the last one committed.
  bool load(Registrar& registrar, std::int64_t now, std::string& error);
  // Starts the writer thread.
  void start();

  // Queues an event for the next batch (any thread). Events must come in sequence order.
  void append(Event event);
  // Queues the removal of every stored binding (a backup about to store the primary's snapshot,
  // docs/replication.md): the bindings appended next replace them, in the same batch when they
  // are queued together. `seq` is the snapshot's sequence.
  void appendReset(std::uint64_t seq);

  // Loop thread: run `done` once every event with seq <= `seq` is durable. seq 0 or an already
  // durable seq runs `done` immediately. Register in non-decreasing seq order (a smaller seq
  // after a larger one is still never early, only possibly late).
  void afterDurable(std::uint64_t seq, Completion done);
  // Readable when drainCompletions() has work. Owned by the journal.
  int completionFd() const noexcept { return eventFd_; }
  // Loop thread: runs the callbacks whose events are durable. Returns how many ran.
  std::size_t drainCompletions();

  std::uint64_t durableSequence() const noexcept { return processedSeq_.load(); }
  Stats stats() const;

 private:
  SqliteJournal(sqlite3* db, int eventFd);
  bool prepare(std::string& error, int busyTimeoutMs);
  void writerLoop();
  bool commit(const std::vector<Event>& batch);
  bool exec(const char* sql);

  sqlite3* db_ = nullptr;
  sqlite3_stmt* upsert_ = nullptr;
  sqlite3_stmt* remove_ = nullptr;
  sqlite3_stmt* setSeq_ = nullptr;
  int eventFd_ = -1;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Event> queue_;  // guarded by mutex_
  bool stopping_ = false;     // guarded by mutex_
  Stats stats_;               // guarded by mutex_
  std::thread writer_;

  std::atomic<std::uint64_t> processedSeq_{0};  // all events <= this are handled
  std::atomic<bool> failed_{false};

  struct Waiter {
    std::uint64_t seq;
    Completion done;
  };
  std::deque<Waiter> waiters_;  // loop thread only
};

}  // namespace sipha::registrar
