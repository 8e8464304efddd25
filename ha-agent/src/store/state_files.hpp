#pragma once
// What sipha-agent keeps across restarts, one number per file in its state directory
// ([appliance] data-dir/agent): the highest epoch it persisted ("epoch" — a fencing token must be
// on disk before anyone sees it, docs/ha-agent.md), its own last heartbeat boot id ("boot") and
// the peer's newest boot id heard ("peer-boot", so replays of the peer's older runs are refused
// after a restart, docs/heartbeat.md). A write is atomic and durable: a temporary file, fsync,
// rename, fsync of the directory; a crash leaves the old value or the new one, never half.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sipha::agent {

class StateFiles {
 public:
  explicit StateFiles(std::string directory) : directory_(std::move(directory)) {}

  // Creates the directory (0700) when missing. False with `error` set when it cannot.
  bool prepare(std::string& error) const;

  // The number in `name`: nullopt when the file does not exist; an unreadable or damaged file
  // sets `error` (the agent refuses to start: an epoch it cannot read could go backwards).
  std::optional<std::uint64_t> read(std::string_view name, std::string& error) const;

  // Writes `value` durably. False with `error` set when any step failed (the old value stays).
  bool write(std::string_view name, std::uint64_t value, std::string& error) const;

  const std::string& directory() const noexcept { return directory_; }

 private:
  std::string directory_;
};

}  // namespace sipha::agent
