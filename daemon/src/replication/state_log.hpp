#pragma once
// sipd's one state stream (issue 9, docs/replication.md): every change of state — registrar
// binding events, call leg states, trunk health — is published here as one Record with the next
// sequence number. Readers of the stream are consumers, called in publish order: the SQLite
// journal, the link to the backup (PrimaryReplicator), later the web UI's read model. The record
// is encoded once here; consumers receive the record and its encoding. The last records stay in
// a bounded Backlog for a backup that resumes after a flap.
//
// A stream has an id, random per incarnation: a node that becomes primary starts a new stream
// (restart()), so a backup can never resume a stream it did not follow (the PostgreSQL timeline
// idea). Single-threaded.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "replication/backlog.hpp"
#include "replication/record.hpp"

namespace sipha::replication {

class StateConsumer {
 public:
  virtual void onRecord(std::uint64_t seq, const Record& record, std::string_view encoded) = 0;

 protected:
  ~StateConsumer() = default;
};

// The whole current state as records, for a new reader (a backup's snapshot).
class SnapshotSource {
 public:
  virtual void snapshot(std::vector<Record>& out) const = 0;

 protected:
  ~SnapshotSource() = default;
};

struct StateLogCounters {
  std::uint64_t published = 0;
  std::uint64_t encodeFailures = 0;  // a record over a field limit: not published (logged)
  std::uint64_t byKind[6] = {};      // indexed by RecordKind
  std::uint64_t bytes = 0;           // encoded bytes published
};

class StateLog {
 public:
  using NowUs = std::function<std::int64_t()>;  // monotonic microseconds (lag measurement)
  // `encoded` false: nobody reads the bytes (a sipd without a peer, whose journal takes the
  // records themselves): publish neither encodes nor keeps a backlog, and consumers get an
  // empty encoding.
  StateLog(std::size_t backlogRecords, std::size_t backlogBytes, NowUs now, std::uint64_t streamId,
           bool encoded = true);

  void addConsumer(StateConsumer* consumer) { consumers_.push_back(consumer); }
  void removeConsumer(StateConsumer* consumer) { std::erase(consumers_, consumer); }
  // Appends `record` as sequence head()+1 and tells every consumer. Returns its sequence, or 0
  // when it could not be encoded (counted; nothing published).
  std::uint64_t publish(const Record& record);

  // A new stream: sequence back to 0, backlog emptied, a new id.
  void restart(std::uint64_t streamId);

  std::uint64_t head() const noexcept { return head_; }
  std::uint64_t streamId() const noexcept { return streamId_; }
  const Backlog& backlog() const noexcept { return backlog_; }
  const StateLogCounters& counters() const noexcept { return counters_; }
  std::int64_t nowUs() const { return now_(); }

 private:
  NowUs now_;
  std::uint64_t streamId_;
  std::uint64_t head_ = 0;
  Backlog backlog_;
  std::vector<StateConsumer*> consumers_;
  bool encoded_;
  std::string scratch_;  // the encoding of the record being published
  StateLogCounters counters_;
};

}  // namespace sipha::replication
