#include "replication/frame_out.hpp"

#include <utility>

namespace sipha::replication {

void refuseAndClose(FrameOut& link, std::uint64_t epoch, RefuseReason reason, std::string text,
                    std::string& scratch) {
  Frame frame;
  frame.type = FrameType::Refuse;
  frame.epoch = epoch;
  frame.reason = reason;
  frame.text = std::move(text);
  scratch.clear();
  encodeFrame(frame, scratch);
  link.sendFrame(scratch);
  link.closeLink();
}

}  // namespace sipha::replication
