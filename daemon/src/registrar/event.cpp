#include "registrar/event.hpp"

#include <cstring>

namespace sipha::registrar {
namespace {

// All integers little-endian, independent of the host.
template <typename T>
void putInt(std::vector<std::byte>& out, T value) {
  auto raw = static_cast<std::uint64_t>(value);
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    out.push_back(static_cast<std::byte>((raw >> (8 * i)) & 0xFF));
  }
}

template <typename T>
T getInt(const std::byte* p) {
  std::uint64_t raw = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    raw |= static_cast<std::uint64_t>(std::to_integer<std::uint8_t>(p[i])) << (8 * i);
  }
  return static_cast<T>(raw);
}

void putString(std::vector<std::byte>& out, const std::string& text) {
  putInt<std::uint16_t>(out, static_cast<std::uint16_t>(text.size()));
  const auto* begin = reinterpret_cast<const std::byte*>(text.data());
  out.insert(out.end(), begin, begin + text.size());
}

bool getString(const std::byte*& p, const std::byte* end, std::string& text) {
  if (end - p < 2) return false;
  auto length = getInt<std::uint16_t>(p);
  p += 2;
  if (static_cast<std::size_t>(end - p) < length) return false;
  text.assign(reinterpret_cast<const char*>(p), length);
  p += length;
  return true;
}

constexpr std::uint16_t kNoQ = 0xFFFF;

}  // namespace

bool serializeEvent(const Event& event, std::vector<std::byte>& out) {
  for (const std::string* field :
       {&event.aor, &event.contactUri, &event.callId, &event.params, &event.source}) {
    if (field->size() > kMaxEventFieldLength) return false;
  }
  const std::size_t bodySize = kEventFixedSize + 5 * 2 + event.aor.size() +
                               event.contactUri.size() + event.callId.size() + event.params.size() +
                               event.source.size();
  out.reserve(out.size() + 4 + bodySize);
  putInt<std::uint32_t>(out, static_cast<std::uint32_t>(bodySize));
  putInt<std::uint8_t>(out, kEventFormatVersion);
  putInt<std::uint8_t>(out, static_cast<std::uint8_t>(event.kind));
  putInt<std::uint64_t>(out, event.seq);
  putInt<std::int64_t>(out, event.expiresAt);
  putInt<std::uint32_t>(out, event.cseq);
  putInt<std::uint16_t>(out, event.q ? *event.q : kNoQ);
  putString(out, event.aor);
  putString(out, event.contactUri);
  putString(out, event.callId);
  putString(out, event.params);
  putString(out, event.source);
  return true;
}

DecodeResult deserializeEvent(std::span<const std::byte> in, Event& event) {
  if (in.size() < 4) return {DecodeStatus::NeedMore, 0};
  const std::uint32_t bodySize = getInt<std::uint32_t>(in.data());
  if (bodySize < kEventFixedSize + 5 * 2 || bodySize > kEventFixedSize + 5 * (2 + 0xFFFF)) {
    return {DecodeStatus::Malformed, 0};
  }
  if (in.size() - 4 < bodySize) return {DecodeStatus::NeedMore, 0};
  const std::byte* p = in.data() + 4;
  const std::byte* end = p + bodySize;
  if (getInt<std::uint8_t>(p) != kEventFormatVersion) return {DecodeStatus::BadVersion, 0};
  const auto kind = getInt<std::uint8_t>(p + 1);
  if (kind < static_cast<std::uint8_t>(EventKind::Added) ||
      kind > static_cast<std::uint8_t>(EventKind::Expired)) {
    return {DecodeStatus::Malformed, 0};
  }
  event.kind = static_cast<EventKind>(kind);
  event.seq = getInt<std::uint64_t>(p + 2);
  event.expiresAt = getInt<std::int64_t>(p + 10);
  event.cseq = getInt<std::uint32_t>(p + 18);
  const auto q = getInt<std::uint16_t>(p + 22);
  event.q = q == kNoQ ? std::nullopt : std::optional<std::uint16_t>(q);
  p += kEventFixedSize;
  for (std::string* field :
       {&event.aor, &event.contactUri, &event.callId, &event.params, &event.source}) {
    if (!getString(p, end, *field)) return {DecodeStatus::Malformed, 0};
  }
  if (p != end) return {DecodeStatus::Malformed, 0};
  return {DecodeStatus::Ok, 4 + static_cast<std::size_t>(bodySize)};
}

}  // namespace sipha::registrar
