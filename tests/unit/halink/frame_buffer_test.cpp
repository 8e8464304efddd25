#include "halink/frame_buffer.hpp"

#include <boost/test/unit_test.hpp>
#include <cstring>
#include <string>
#include <vector>

#include "harness.hpp"

using sipha::halink::appendFrameHeader;
using sipha::halink::FrameBuffer;
using sipha::halink::test::frameBytes;

namespace {

// Feeds `wire` in pieces of `step` bytes; returns the frames in order.
std::vector<std::string> feed(FrameBuffer& buffer, const std::string& wire, std::size_t step,
                              std::size_t maxFrame) {
  std::vector<std::string> frames;
  for (std::size_t offset = 0; offset < wire.size();) {
    const std::span<char> space = buffer.writable(maxFrame);
    BOOST_REQUIRE(!space.empty());
    const std::size_t n = std::min({step, space.size(), wire.size() - offset});
    std::memcpy(space.data(), wire.data() + offset, n);
    buffer.commit(n);
    offset += n;
    std::string_view frame;
    std::uint64_t length = 0;
    while (buffer.next(maxFrame, frame, length) == FrameBuffer::Next::Frame) {
      frames.emplace_back(frame);
    }
  }
  return frames;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(frame_buffer)

BOOST_AUTO_TEST_CASE(header_is_big_endian) {
  std::string out;
  appendFrameHeader(out, 0x01020304u);
  BOOST_TEST(out == std::string("\x01\x02\x03\x04", 4));
}

BOOST_AUTO_TEST_CASE(frames_split_at_every_byte_are_whole_and_in_order) {
  const std::vector<std::string> bodies = {"", "a", std::string(300, 'b'), "last"};
  std::string wire;
  for (const std::string& body : bodies) wire += frameBytes(body);
  for (std::size_t step : {1u, 2u, 3u, 5u, 7u, 64u, 4096u}) {
    FrameBuffer buffer;
    BOOST_TEST(feed(buffer, wire, step, 1000) == bodies, "step " << step);
    BOOST_TEST(buffer.buffered() == 0u);
  }
}

BOOST_AUTO_TEST_CASE(buffer_grows_to_the_frame_and_never_past_the_limit) {
  constexpr std::size_t kMax = 100'000;
  FrameBuffer buffer;
  const std::string body(kMax, 'x');
  const auto frames = feed(buffer, frameBytes(body), 16 * 1024, kMax);
  BOOST_REQUIRE_EQUAL(frames.size(), 1u);
  BOOST_TEST(frames[0] == body);
  BOOST_TEST(buffer.capacity() <= kMax + 4);
  BOOST_TEST(buffer.capacity() >= kMax + 4);
}

BOOST_AUTO_TEST_CASE(small_limit_bounds_the_first_allocation) {
  FrameBuffer buffer;
  BOOST_TEST(buffer.writable(10).size() == 14u);
}

BOOST_AUTO_TEST_CASE(oversized_prefix_is_reported_before_any_body) {
  FrameBuffer buffer;
  std::string header;
  appendFrameHeader(header, 1001);
  const std::span<char> space = buffer.writable(1000);
  std::memcpy(space.data(), header.data(), header.size());
  buffer.commit(header.size());
  std::string_view frame;
  std::uint64_t length = 0;
  BOOST_TEST((buffer.next(1000, frame, length) == FrameBuffer::Next::Oversized));
  BOOST_TEST(length == 1001u);
}

BOOST_AUTO_TEST_SUITE_END()
