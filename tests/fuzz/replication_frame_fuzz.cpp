// libFuzzer entry: frames of the replication link and the state stream records they carry (a
// backup reads them from its peer), decoded from arbitrary bytes. What decodes must re-encode to
// the same bytes (one encoding per value) and decode again to an equal value.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "replication/frame.hpp"
#include "replication/record.hpp"

namespace {

using namespace sipha::replication;

void check(bool condition) {
  if (!condition) __builtin_trap();
}

void checkRecord(std::string_view bytes) {
  Record record;
  if (decodeRecord(bytes, record) != RecordError::None) return;
  std::string out;
  check(encodeRecord(record, out));
  check(out == bytes);
  Record again;
  check(decodeRecord(out, again) == RecordError::None);
  check(again == record);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  // The input as one record too: the frame decoder only delimits them.
  checkRecord(in);

  Frame frame;
  if (decodeFrame(in, frame) != FrameError::None) return 0;
  for (std::string_view record : frame.records) {
    check(record.data() >= in.data() && record.data() + record.size() <= in.data() + in.size());
    checkRecord(record);
  }
  std::string out;
  encodeFrame(frame, out);
  check(out == in);
  Frame again;
  check(decodeFrame(out, again) == FrameError::None);
  check(again == frame);
  return 0;
}
