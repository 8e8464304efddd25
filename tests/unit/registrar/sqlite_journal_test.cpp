#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "registrar/sqlite_journal.hpp"
#include "test_support.hpp"

using namespace sipha::registrar;
using namespace sipha::registrar::test;

namespace {

struct TempDir {
  TempDir() {
    char pattern[] = "/tmp/sipha-registrar-XXXXXX";
    path = ::mkdtemp(pattern);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string db() const { return cat(path, "/registrar.sqlite"); }
  std::string path;
};

RegistrarOptions openOptions() {
  RegistrarOptions options;
  options.acceptUnknown = true;
  return options;
}

std::unique_ptr<SqliteJournal> openJournal(const std::string& path, Registrar& registrar,
                                           std::int64_t now) {
  std::string error;
  auto journal = SqliteJournal::open(path, error);
  BOOST_TEST_REQUIRE(journal.get() != nullptr, error);
  BOOST_TEST_REQUIRE(journal->load(registrar, now, error), error);
  return journal;
}

// Waits on the completion eventfd (a real event, bounded) until `done` holds.
template <typename Predicate>
void waitUntil(SqliteJournal& journal, Predicate done) {
  for (int i = 0; i < 1000 && !done(); ++i) {
    pollfd pfd{journal.completionFd(), POLLIN, 0};
    BOOST_TEST_REQUIRE(::poll(&pfd, 1, 10000) == 1);
    journal.drainCompletions();
  }
  BOOST_TEST_REQUIRE(done());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(journal)

BOOST_AUTO_TEST_CASE(bindings_survive_a_reopen) {
  TempDir dir;
  std::vector<Event> expected;
  std::uint64_t lastSeq = 0;
  {
    Registrar registrar(openOptions(), extensions(), digestOptions());
    auto journal = openJournal(dir.db(), registrar, kT0);
    journal->start();
    registrar.setEventSink([&](const Event& e) { journal->append(e); });
    int completed = 0;
    for (int i = 0; i < 20; ++i) {
      const std::string user = cat("u", std::to_string(i));
      const std::string callId = cat("call-", user);
      const std::string uri1 = cat("sip:", user, "@192.0.2.1");
      const std::string uri2 = cat("sip:", user, "@192.0.2.2");
      auto r = request(user, callId, 1);  // requests hold views: keep the strings alive
      r.contacts = {contact(uri1, 600 + i, 300), contact(uri2)};
      const auto result = registrar.handleRegister(r, kT0);
      BOOST_TEST_REQUIRE(result.eventSeq > 0u);
      journal->afterDurable(result.eventSeq, [&](bool durable) {
        BOOST_TEST(durable);
        ++completed;
      });
    }
    // Remove one binding and one whole AOR: deletions must be durable too.
    auto remove = request("u3", "call-u3", 2);
    remove.contacts = {contact("sip:u3@192.0.2.2", 0)};
    registrar.handleRegister(remove, kT0);
    auto star = request("u4", "other", 1);
    star.star = true;
    star.expiresHeader = 0;
    const auto last = registrar.handleRegister(star, kT0);
    journal->afterDurable(last.eventSeq, [&](bool) { ++completed; });
    waitUntil(*journal, [&] { return completed == 21; });
    BOOST_TEST(journal->durableSequence() >= registrar.sequence());
    BOOST_TEST(journal->stats().events == registrar.sequence());
    // Already durable: runs at once.
    bool immediate = false;
    journal->afterDurable(last.eventSeq, [&](bool) { immediate = true; });
    BOOST_TEST(immediate);
    expected = registrar.snapshot();
    lastSeq = registrar.sequence();
  }
  BOOST_TEST(expected.size() == 37u);

  Registrar reloaded(openOptions(), extensions(), digestOptions());
  auto journal = openJournal(dir.db(), reloaded, kT0 + 1);
  BOOST_TEST((reloaded.snapshot() == expected));
  BOOST_TEST(reloaded.sequence() == lastSeq);
  BOOST_TEST(reloaded.bindingsOf("u3", "sip.example.com", kT0).size() == 1u);
  BOOST_TEST(reloaded.bindingsOf("u4", "sip.example.com", kT0).empty());
  BOOST_TEST(reloaded.bindingsOf("u0", "sip.example.com", kT0).at(0).q.value() == 300);
}

// A backup storing the primary's snapshot: what it held before is gone, the snapshot is there.
BOOST_AUTO_TEST_CASE(a_reset_replaces_every_stored_binding) {
  TempDir dir;
  {
    Registrar registrar(openOptions(), extensions(), digestOptions());
    auto journal = openJournal(dir.db(), registrar, kT0);
    registrar.setEventSink([&](const Event& e) { journal->append(e); });
    auto old = request("old", "c", 1);
    old.contacts = {contact("sip:old@192.0.2.1", 600)};
    registrar.handleRegister(old, kT0);
    journal->start();
    waitUntil(*journal, [&] { return journal->durableSequence() == 1u; });
    Event snapshot;
    snapshot.seq = 40;
    snapshot.kind = EventKind::Added;
    snapshot.aor = "new@sip.example.com";
    snapshot.contactUri = "sip:new@192.0.2.9";
    snapshot.callId = "n";
    snapshot.cseq = 3;
    snapshot.expiresAt = kT0 + 600;
    journal->appendReset(40);
    journal->append(snapshot);
    waitUntil(*journal, [&] { return journal->durableSequence() == 40u; });
  }
  Registrar reloaded(openOptions(), extensions(), digestOptions());
  auto journal = openJournal(dir.db(), reloaded, kT0 + 1);
  BOOST_TEST(reloaded.bindingCount() == 1u);
  BOOST_TEST(reloaded.bindingsOf("old", "sip.example.com", kT0).empty());
  BOOST_TEST(reloaded.bindingsOf("new", "sip.example.com", kT0).size() == 1u);
  BOOST_TEST(reloaded.sequence() == 40u);
}

BOOST_AUTO_TEST_CASE(expired_bindings_are_not_loaded) {
  TempDir dir;
  {
    Registrar registrar(openOptions(), extensions(), digestOptions());
    auto journal = openJournal(dir.db(), registrar, kT0);
    registrar.setEventSink([&](const Event& e) { journal->append(e); });
    auto a = request("a", "c", 1);
    a.contacts = {contact("sip:a@192.0.2.1", 60)};
    registrar.handleRegister(a, kT0);
    auto b = request("b", "c", 1);
    b.contacts = {contact("sip:b@192.0.2.1", 600)};
    registrar.handleRegister(b, kT0);
    journal->start();
    waitUntil(*journal, [&] { return journal->durableSequence() == 2u; });
  }
  Registrar reloaded(openOptions(), extensions(), digestOptions());
  auto journal = openJournal(dir.db(), reloaded, kT0 + 60);
  BOOST_TEST(reloaded.bindingCount() == 1u);
  BOOST_TEST(reloaded.bindingsOf("b", "sip.example.com", kT0 + 60).size() == 1u);
}

// Events queued while the writer is busy go into one transaction (group commit).
BOOST_AUTO_TEST_CASE(queued_events_commit_as_one_batch) {
  TempDir dir;
  Registrar registrar(openOptions(), extensions(), digestOptions());
  auto journal = openJournal(dir.db(), registrar, kT0);
  registrar.setEventSink([&](const Event& e) { journal->append(e); });
  std::size_t completed = 0;
  for (int i = 0; i < 500; ++i) {
    const std::string user = cat("u", std::to_string(i));
    auto r = request(user, "c", 1);
    r.contacts = {contact("sip:x@192.0.2.1")};
    journal->afterDurable(registrar.handleRegister(r, kT0).eventSeq, [&](bool) { ++completed; });
  }
  BOOST_TEST(completed == 0u);  // nothing is durable before the writer runs
  journal->start();
  waitUntil(*journal, [&] { return completed == 500u; });
  const auto stats = journal->stats();
  BOOST_TEST(stats.batches == 1u);
  BOOST_TEST(stats.events == 500u);
  BOOST_TEST(!stats.failed);
}

// Throughput sanity under a steady stream: every completion runs, durable; batches are printed.
BOOST_AUTO_TEST_CASE(steady_stream_throughput) {
  TempDir dir;
  Registrar registrar(openOptions(), extensions(), digestOptions());
  auto journal = openJournal(dir.db(), registrar, kT0);
  journal->start();
  registrar.setEventSink([&](const Event& e) { journal->append(e); });
  constexpr std::size_t kCount = 20000;
  std::size_t completed = 0, notDurable = 0;
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < kCount; ++i) {
    const std::string user = cat("u", std::to_string(i));
    const std::string uri = cat("sip:", user, "@192.0.2.1");
    auto r = request(user, "c", 1);
    r.contacts = {contact(uri)};
    journal->afterDurable(registrar.handleRegister(r, kT0).eventSeq, [&](bool durable) {
      ++completed;
      if (!durable) ++notDurable;
    });
    pollfd pfd{journal->completionFd(), POLLIN, 0};
    if (::poll(&pfd, 1, 0) == 1) journal->drainCompletions();
  }
  waitUntil(*journal, [&] { return completed == kCount; });
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::steady_clock::now() - start)
                           .count();
  BOOST_TEST(notDurable == 0u);
  const auto stats = journal->stats();
  BOOST_TEST(stats.events == kCount);
  BOOST_TEST(stats.batches <= kCount);
  BOOST_TEST_MESSAGE("journal: " << kCount << " registrations durable in " << elapsed << " ms, "
                                 << stats.batches << " transactions, largest batch "
                                 << stats.largestBatch);
}

// A commit that fails (here: another connection holds the write lock) is reported, sticky.
BOOST_AUTO_TEST_CASE(a_failed_commit_is_reported_not_durable) {
  TempDir dir;
  Registrar registrar(openOptions(), extensions(), digestOptions());
  std::string error;
  auto journal = SqliteJournal::open(dir.db(), error, 0);
  BOOST_TEST_REQUIRE(journal.get() != nullptr, error);
  BOOST_TEST_REQUIRE(journal->load(registrar, kT0, error), error);
  sqlite3* other = nullptr;
  BOOST_TEST_REQUIRE(sqlite3_open(dir.db().c_str(), &other) == SQLITE_OK);
  BOOST_TEST_REQUIRE(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) ==
                     SQLITE_OK);
  registrar.setEventSink([&](const Event& e) { journal->append(e); });
  journal->start();
  std::optional<bool> first, second;
  auto r = request("1001", "c", 1);
  r.contacts = {contact("sip:a@192.0.2.1")};
  journal->afterDurable(registrar.handleRegister(r, kT0).eventSeq,
                        [&](bool durable) { first = durable; });
  waitUntil(*journal, [&] { return first.has_value(); });
  BOOST_TEST(!*first);
  BOOST_TEST(journal->stats().failed);
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  r.cseq = 2;  // the lock is gone, but the journal stays failed: memory and disk diverged
  journal->afterDurable(registrar.handleRegister(r, kT0).eventSeq,
                        [&](bool durable) { second = durable; });
  waitUntil(*journal, [&] { return second.has_value(); });
  BOOST_TEST(!*second);
  BOOST_TEST(registrar.bindingCount() == 1u);  // in-memory state still answers
}

BOOST_AUTO_TEST_CASE(a_bad_path_is_an_error_not_a_crash) {
  std::string error;
  BOOST_TEST(SqliteJournal::open("/nonexistent-dir/x/registrar.sqlite", error) == nullptr);
  BOOST_TEST(!error.empty());
}

// The promise: a binding answered 200 (its completion ran) survives SIGKILL under load.
BOOST_AUTO_TEST_CASE(confirmed_bindings_survive_sigkill) {
  TempDir dir;
  int fds[2];
  BOOST_TEST_REQUIRE(::pipe(fds) == 0);
  const pid_t child = ::fork();
  BOOST_TEST_REQUIRE(child >= 0);
  if (child == 0) {
    ::close(fds[0]);
    Registrar registrar(openOptions(), extensions(), digestOptions());
    std::string error;
    auto journal = SqliteJournal::open(dir.db(), error);
    if (!journal || !journal->load(registrar, kT0, error)) ::_exit(2);
    journal->start();
    registrar.setEventSink([&](const Event& e) { journal->append(e); });
    for (std::uint32_t i = 0;; ++i) {  // until killed
      auto user = cat("u", std::to_string(i % 100000));
      const std::string uri = cat("sip:", user, "@192.0.2.1");
      auto r = request(user, "c", i + 1);
      r.contacts = {contact(uri)};
      journal->afterDurable(registrar.handleRegister(r, kT0).eventSeq, [&, i](bool durable) {
        if (durable && ::write(fds[1], &i, sizeof i) != sizeof i) ::_exit(3);
      });
      // Like the daemon, bound the work in flight: wait for the disk when 5000 are pending.
      const bool backlog = registrar.sequence() - journal->durableSequence() > 5000;
      pollfd pfd{journal->completionFd(), POLLIN, 0};
      if (::poll(&pfd, 1, backlog ? 10000 : 0) == 1) journal->drainCompletions();
    }
  }
  ::close(fds[1]);
  std::set<std::uint32_t> confirmed;
  std::uint32_t index = 0;
  while (confirmed.size() < 2000 && ::read(fds[0], &index, sizeof index) == sizeof index) {
    confirmed.insert(index);
  }
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  BOOST_TEST(WIFSIGNALED(status));
  while (::read(fds[0], &index, sizeof index) == sizeof index) confirmed.insert(index);
  ::close(fds[0]);
  BOOST_TEST_REQUIRE(confirmed.size() >= 2000u);

  Registrar reloaded(openOptions(), extensions(), digestOptions());
  auto journal = openJournal(dir.db(), reloaded, kT0);
  std::size_t missing = 0;
  for (auto i : confirmed) {
    if (reloaded.bindingsOf(cat("u", std::to_string(i % 100000)), "sip.example.com", kT0).empty()) {
      ++missing;
    }
  }
  BOOST_TEST(missing == 0u);
  BOOST_TEST_MESSAGE("confirmed before SIGKILL: " << confirmed.size()
                                                  << ", bindings after restart: "
                                                  << reloaded.bindingCount());
}

BOOST_AUTO_TEST_SUITE_END()
