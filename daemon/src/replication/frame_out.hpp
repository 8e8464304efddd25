#pragma once
// Where a replicator's frames go: one connection of the HA link (sipha::halink in the daemon, a
// recording fake in unit tests).
#include <cstdint>
#include <string>
#include <string_view>

#include "replication/frame.hpp"

namespace sipha::replication {

class FrameOut {
 public:
  virtual void sendFrame(std::string_view body) = 0;
  // Ends the connection after what was sent (the owner then reports it lost).
  virtual void closeLink() = 0;

 protected:
  ~FrameOut() = default;
};

// Either end's refusal: Refuse(`reason`, `text`) with our `epoch`, then the link is closed.
// `scratch` is the caller's reused encoding buffer.
void refuseAndClose(FrameOut& link, std::uint64_t epoch, RefuseReason reason, std::string text,
                    std::string& scratch);

}  // namespace sipha::replication
