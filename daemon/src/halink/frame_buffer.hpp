#pragma once
// The receive side of the frame format (u32 big-endian length + body): one bounded buffer per
// connection that TLS reads straight into, and whole frames handed out as views into it. Pure:
// no sockets, no TLS.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace sipha::halink {

inline constexpr std::size_t kFrameHeaderBytes = 4;

// Appends the length prefix of a `length`-byte body to `out`.
void appendFrameHeader(std::string& out, std::uint32_t length);

class FrameBuffer {
 public:
  enum class Next : std::uint8_t { Frame, NeedMore, Oversized };

  FrameBuffer() = default;

  // Free space at the end for the next read, at least large enough that the frame being
  // assembled can complete; never grows past maxFrameBytes + 4. Moves a partial tail to the front
  // and releases a big buffer once it is empty.
  std::span<char> writable(std::size_t maxFrameBytes);
  void commit(std::size_t bytes) noexcept { end_ += bytes; }

  // The next whole frame (its view stays valid until the next writable()), NeedMore for a partial
  // one, Oversized as soon as a prefix over maxFrameBytes is complete (`length` = the prefix).
  Next next(std::size_t maxFrameBytes, std::string_view& frame, std::uint64_t& length) noexcept;

  std::size_t buffered() const noexcept { return end_ - begin_; }
  std::size_t capacity() const noexcept { return capacity_; }

 private:
  std::size_t pendingFrameBytes(std::size_t maxFrameBytes) const noexcept;

  std::unique_ptr<char[]> data_;
  std::size_t capacity_ = 0;
  std::size_t begin_ = 0;  // first unconsumed byte
  std::size_t end_ = 0;    // one past the last byte read
};

}  // namespace sipha::halink
