#include "registrar/sqlite_journal.hpp"

#include <sqlite3.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>

#include "registrar/registrar.hpp"

namespace sipha::registrar {
namespace {

constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS bindings("
    " aor TEXT NOT NULL, contact TEXT NOT NULL, call_id TEXT NOT NULL, cseq INTEGER NOT NULL,"
    " expires_at INTEGER NOT NULL, q INTEGER, params TEXT NOT NULL, source TEXT NOT NULL,"
    " PRIMARY KEY(aor, contact)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
    "INSERT OR IGNORE INTO meta(key, value) VALUES('seq', 0);";

void bindText(sqlite3_stmt* stmt, int index, const std::string& text) {
  sqlite3_bind_text(stmt, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
}

std::string_view columnText(sqlite3_stmt* stmt, int column) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, column));
  return text ? std::string_view(text, static_cast<std::size_t>(sqlite3_column_bytes(stmt, column)))
              : std::string_view();
}

}  // namespace

std::unique_ptr<SqliteJournal> SqliteJournal::open(const std::string& path, std::string& error,
                                                   int busyTimeoutMs) {
  sqlite3* db = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX;
  if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    error = "cannot open " + path + ": " + (db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    return nullptr;
  }
  const int eventFd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (eventFd < 0) {
    error = "eventfd failed";
    sqlite3_close(db);
    return nullptr;
  }
  std::unique_ptr<SqliteJournal> journal(new SqliteJournal(db, eventFd));
  if (!journal->prepare(error, busyTimeoutMs)) return nullptr;
  return journal;
}

SqliteJournal::SqliteJournal(sqlite3* db, int eventFd) : db_(db), eventFd_(eventFd) {}

bool SqliteJournal::exec(const char* sql) {
  return sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) == SQLITE_OK;
}

bool SqliteJournal::prepare(std::string& error, int busyTimeoutMs) {
  sqlite3_busy_timeout(db_, busyTimeoutMs);
  // WAL: a commit is one append + one fsync of the log; FULL: that fsync happens on every commit.
  if (!exec("PRAGMA journal_mode=WAL") || !exec("PRAGMA synchronous=FULL") || !exec(kSchema) ||
      sqlite3_prepare_v2(db_,
                         "INSERT OR REPLACE INTO bindings(aor, contact, call_id, cseq,"
                         " expires_at, q, params, source) VALUES(?,?,?,?,?,?,?,?)",
                         -1, &upsert_, nullptr) != SQLITE_OK ||
      sqlite3_prepare_v2(db_, "DELETE FROM bindings WHERE aor=? AND contact=?", -1, &remove_,
                         nullptr) != SQLITE_OK ||
      sqlite3_prepare_v2(db_, "UPDATE meta SET value=? WHERE key='seq'", -1, &setSeq_, nullptr) !=
          SQLITE_OK) {
    error = std::string("sqlite: ") + sqlite3_errmsg(db_);
    return false;
  }
  return true;
}

SqliteJournal::~SqliteJournal() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (writer_.joinable()) writer_.join();
  sqlite3_finalize(upsert_);
  sqlite3_finalize(remove_);
  sqlite3_finalize(setSeq_);
  sqlite3_close(db_);
  if (eventFd_ >= 0) ::close(eventFd_);
}

bool SqliteJournal::load(Registrar& registrar, std::int64_t now, std::string& error) {
  sqlite3_stmt* purge = nullptr;
  sqlite3_stmt* select = nullptr;
  sqlite3_stmt* seq = nullptr;
  bool ok = sqlite3_prepare_v2(db_, "DELETE FROM bindings WHERE expires_at <= ?", -1, &purge,
                               nullptr) == SQLITE_OK &&
            sqlite3_prepare_v2(db_,
                               "SELECT aor, contact, call_id, cseq, expires_at, q, params,"
                               " source FROM bindings",
                               -1, &select, nullptr) == SQLITE_OK &&
            sqlite3_prepare_v2(db_, "SELECT value FROM meta WHERE key='seq'", -1, &seq, nullptr) ==
                SQLITE_OK;
  if (ok) {
    sqlite3_bind_int64(purge, 1, now);
    ok = sqlite3_step(purge) == SQLITE_DONE;
  }
  Event event;
  event.kind = EventKind::Added;
  int rc = SQLITE_DONE;
  while (ok && (rc = sqlite3_step(select)) == SQLITE_ROW) {
    event.aor.assign(columnText(select, 0));
    event.contactUri.assign(columnText(select, 1));
    event.callId.assign(columnText(select, 2));
    event.cseq = static_cast<std::uint32_t>(sqlite3_column_int64(select, 3));
    event.expiresAt = sqlite3_column_int64(select, 4);
    event.q = sqlite3_column_type(select, 5) == SQLITE_NULL
                  ? std::nullopt
                  : std::optional<std::uint16_t>(
                        static_cast<std::uint16_t>(sqlite3_column_int(select, 5)));
    event.params.assign(columnText(select, 6));
    event.source.assign(columnText(select, 7));
    registrar.restore(event);
  }
  ok = ok && rc == SQLITE_DONE;
  if (ok && sqlite3_step(seq) == SQLITE_ROW) {
    const auto last = static_cast<std::uint64_t>(sqlite3_column_int64(seq, 0));
    if (last > registrar.sequence()) registrar.setSequence(last);
    processedSeq_.store(registrar.sequence());
  }
  if (!ok) error = std::string("sqlite load: ") + sqlite3_errmsg(db_);
  sqlite3_finalize(purge);
  sqlite3_finalize(select);
  sqlite3_finalize(seq);
  return ok;
}

void SqliteJournal::start() {
  if (!writer_.joinable()) writer_ = std::thread([this] { writerLoop(); });
}

void SqliteJournal::append(Event event) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(event));
  }
  wake_.notify_one();
}

void SqliteJournal::appendReset(std::uint64_t seq) {
  // The marker: an event without AOR (the registrar never makes one, 10.3 step 1 needs a host).
  Event reset;
  reset.seq = seq;
  reset.kind = EventKind::Removed;
  append(std::move(reset));
}

void SqliteJournal::writerLoop() {
  std::vector<Event> batch;
  while (true) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      batch.swap(queue_);          // everything queued during the last fsync: the group
    }
    const bool ok = !failed_.load() && commit(batch);
    if (!ok) failed_.store(true);
    {
      std::lock_guard lock(mutex_);
      if (ok) {
        ++stats_.batches;
        stats_.events += batch.size();
        if (batch.size() > stats_.largestBatch) stats_.largestBatch = batch.size();
      }
      stats_.failed = failed_.load();
    }
    processedSeq_.store(batch.back().seq, std::memory_order_release);
    batch.clear();
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto written = ::write(eventFd_, &one, sizeof one);
  }
}

bool SqliteJournal::commit(const std::vector<Event>& batch) {
  if (!exec("BEGIN IMMEDIATE")) return false;
  bool ok = true;
  for (const Event& event : batch) {
    sqlite3_stmt* stmt = nullptr;
    if (event.aor.empty()) {  // appendReset
      ok = exec("DELETE FROM bindings");
      if (!ok) break;
      continue;
    }
    if (event.kind == EventKind::Added || event.kind == EventKind::Refreshed) {
      stmt = upsert_;
      bindText(stmt, 1, event.aor);
      bindText(stmt, 2, event.contactUri);
      bindText(stmt, 3, event.callId);
      sqlite3_bind_int64(stmt, 4, event.cseq);
      sqlite3_bind_int64(stmt, 5, event.expiresAt);
      if (event.q) {
        sqlite3_bind_int(stmt, 6, *event.q);
      } else {
        sqlite3_bind_null(stmt, 6);
      }
      bindText(stmt, 7, event.params);
      bindText(stmt, 8, event.source);
    } else {
      stmt = remove_;
      bindText(stmt, 1, event.aor);
      bindText(stmt, 2, event.contactUri);
    }
    ok = sqlite3_step(stmt) == SQLITE_DONE;
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    if (!ok) break;
  }
  if (ok) {
    sqlite3_bind_int64(setSeq_, 1, static_cast<sqlite3_int64>(batch.back().seq));
    ok = sqlite3_step(setSeq_) == SQLITE_DONE;
    sqlite3_reset(setSeq_);
  }
  if (ok && exec("COMMIT")) return true;  // synchronous=FULL: durable when COMMIT returns
  exec("ROLLBACK");
  return false;
}

void SqliteJournal::afterDurable(std::uint64_t seq, Completion done) {
  if (seq <= processedSeq_.load(std::memory_order_acquire) && waiters_.empty()) {
    done(!failed_.load());
    return;
  }
  waiters_.push_back({seq, std::move(done)});
}

std::size_t SqliteJournal::drainCompletions() {
  std::uint64_t counter = 0;
  [[maybe_unused]] const auto read = ::read(eventFd_, &counter, sizeof counter);
  const std::uint64_t processed = processedSeq_.load(std::memory_order_acquire);
  const bool durable = !failed_.load();
  std::size_t ran = 0;
  while (!waiters_.empty() && waiters_.front().seq <= processed) {
    Completion done = std::move(waiters_.front().done);
    waiters_.pop_front();
    done(durable);
    ++ran;
  }
  return ran;
}

SqliteJournal::Stats SqliteJournal::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

}  // namespace sipha::registrar
