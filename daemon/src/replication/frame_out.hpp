#pragma once
// Where a replicator's frames go: one connection of the HA link (sipha::halink in the daemon, a
// recording fake in unit tests).
#include <string_view>

namespace sipha::replication {

class FrameOut {
 public:
  virtual void sendFrame(std::string_view body) = 0;
  // Ends the connection after what was sent (the owner then reports it lost).
  virtual void closeLink() = 0;

 protected:
  ~FrameOut() = default;
};

}  // namespace sipha::replication
