#include "halink/frame_buffer.hpp"

#include <algorithm>
#include <cstring>

namespace sipha::halink {

namespace {

constexpr std::size_t kInitialCapacity = 16 * 1024 + kFrameHeaderBytes;  // one TLS record
constexpr std::size_t kMinFreeSpace = 4096;
constexpr std::size_t kShrinkAbove = 256 * 1024;

std::uint32_t readBigEndian32(const char* p) noexcept {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (std::uint32_t{u[0]} << 24) | (std::uint32_t{u[1]} << 16) | (std::uint32_t{u[2]} << 8) |
         std::uint32_t{u[3]};
}

}  // namespace

void appendFrameHeader(std::string& out, std::uint32_t length) {
  const char header[kFrameHeaderBytes] = {
      static_cast<char>(length >> 24), static_cast<char>(length >> 16),
      static_cast<char>(length >> 8), static_cast<char>(length)};
  out.append(header, kFrameHeaderBytes);
}

std::size_t FrameBuffer::pendingFrameBytes(std::size_t maxFrameBytes) const noexcept {
  if (buffered() < kFrameHeaderBytes) return kFrameHeaderBytes;
  const std::size_t length = readBigEndian32(data_.get() + begin_);
  return kFrameHeaderBytes + std::min(length, maxFrameBytes);
}

std::span<char> FrameBuffer::writable(std::size_t maxFrameBytes) {
  const std::size_t limit = maxFrameBytes + kFrameHeaderBytes;
  const std::size_t tail = buffered();
  if (tail == 0) {
    begin_ = end_ = 0;
    if (capacity_ > kShrinkAbove) {  // a big frame is gone: give its memory back
      data_.reset();
      capacity_ = 0;
    }
  }
  const std::size_t needed = pendingFrameBytes(maxFrameBytes);
  if (needed > capacity_) {
    const std::size_t grown =
        std::min(std::max({needed, capacity_ * 2, kInitialCapacity}), std::max(limit, needed));
    auto data = std::make_unique_for_overwrite<char[]>(grown);
    if (tail > 0) std::memcpy(data.get(), data_.get() + begin_, tail);
    data_ = std::move(data);
    capacity_ = grown;
    begin_ = 0;
    end_ = tail;
  } else if (begin_ > 0 && (begin_ + needed > capacity_ || capacity_ - end_ < kMinFreeSpace)) {
    std::memmove(data_.get(), data_.get() + begin_, tail);
    begin_ = 0;
    end_ = tail;
  }
  return {data_.get() + end_, capacity_ - end_};
}

FrameBuffer::Next FrameBuffer::next(std::size_t maxFrameBytes, std::string_view& frame,
                                    std::uint64_t& length) noexcept {
  if (buffered() < kFrameHeaderBytes) return Next::NeedMore;
  length = readBigEndian32(data_.get() + begin_);
  if (length > maxFrameBytes) return Next::Oversized;
  if (buffered() - kFrameHeaderBytes < length) return Next::NeedMore;
  frame = std::string_view(data_.get() + begin_ + kFrameHeaderBytes, length);
  begin_ += kFrameHeaderBytes + length;
  return Next::Frame;
}

}  // namespace sipha::halink
