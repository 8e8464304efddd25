#include "replication/state_log.hpp"

namespace sipha::replication {

StateLog::StateLog(std::size_t backlogRecords, std::size_t backlogBytes, NowUs now,
                   std::uint64_t streamId, bool encoded)
    : now_(std::move(now)),
      streamId_(streamId),
      backlog_(backlogRecords, backlogBytes),
      encoded_(encoded) {}

std::uint64_t StateLog::publish(const Record& record) {
  scratch_.clear();
  if (encoded_ && !encodeRecord(record, scratch_)) {
    ++counters_.encodeFailures;
    return 0;
  }
  const std::uint64_t seq = ++head_;
  if (encoded_) backlog_.append(seq, scratch_, now_());
  ++counters_.published;
  ++counters_.byKind[static_cast<std::size_t>(kindOf(record))];
  counters_.bytes += scratch_.size();
  for (StateConsumer* consumer : consumers_) consumer->onRecord(seq, record, scratch_);
  return seq;
}

void StateLog::restart(std::uint64_t streamId) {
  streamId_ = streamId;
  head_ = 0;
  backlog_.clear();
}

}  // namespace sipha::replication
