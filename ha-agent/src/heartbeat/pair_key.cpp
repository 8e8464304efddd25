#include "heartbeat/pair_key.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

namespace sipha::agent::heartbeat {

namespace {

constexpr std::size_t kMaxFileBytes = 4096;

int hexValue(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool isSpace(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// A buffer that wipes itself: what was read from the key file, or decoded from it.
template <std::size_t N>
struct WipedBuffer {
  std::array<std::uint8_t, N> bytes{};
  ~WipedBuffer() { OPENSSL_cleanse(bytes.data(), bytes.size()); }
};

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) noexcept : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const noexcept { return fd_; }

 private:
  int fd_;
};

std::string octalMode(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

KeyLoad failure(const std::string& path, KeyError error, const std::string& reason) {
  KeyLoad load;
  load.error = error;
  load.message = "pair key " + path + ": " + reason;
  return load;
}

}  // namespace

std::optional<PairKey> PairKey::fromBytes(std::span<const std::uint8_t> bytes) noexcept {
  if (bytes.size() < kMinBytes || bytes.size() > kMaxBytes) return std::nullopt;
  PairKey key;
  std::copy(bytes.begin(), bytes.end(), key.bytes_.begin());
  key.size_ = bytes.size();
  return key;
}

PairKey::PairKey(PairKey&& other) noexcept : bytes_(other.bytes_), size_(other.size_) {
  other.wipe();
}

PairKey& PairKey::operator=(PairKey&& other) noexcept {
  if (this != &other) {
    bytes_ = other.bytes_;
    size_ = other.size_;
    other.wipe();
  }
  return *this;
}

PairKey::~PairKey() { wipe(); }

void PairKey::wipe() noexcept {
  OPENSSL_cleanse(bytes_.data(), bytes_.size());
  size_ = 0;
}

std::string_view keyErrorName(KeyError error) noexcept {
  switch (error) {
    case KeyError::None:
      return "none";
    case KeyError::CannotOpen:
      return "cannot-open";
    case KeyError::NotRegularFile:
      return "not-regular-file";
    case KeyError::BadOwner:
      return "bad-owner";
    case KeyError::BadPermissions:
      return "bad-permissions";
    case KeyError::TooLarge:
      return "too-large";
    case KeyError::ReadFailed:
      return "read-failed";
    case KeyError::NotHex:
      return "not-hex";
    case KeyError::TooShort:
      return "too-short";
    case KeyError::TooLong:
      return "too-long";
  }
  return "?";
}

KeyError parsePairKey(std::string_view text, std::optional<PairKey>& out) {
  WipedBuffer<PairKey::kMaxBytes> key;
  std::size_t size = 0;
  int high = -1;  // the first digit of a byte, once read
  bool tooLong = false;
  for (const char c : text) {
    if (isSpace(c)) continue;
    const int value = hexValue(c);
    if (value < 0) return KeyError::NotHex;
    if (high < 0) {
      high = value;
      continue;
    }
    if (size == key.bytes.size()) {
      tooLong = true;  // keep scanning: a stray character still reads as NotHex
    } else {
      key.bytes[size++] = static_cast<std::uint8_t>(high << 4 | value);
    }
    high = -1;
  }
  if (high >= 0) return KeyError::NotHex;
  if (tooLong) return KeyError::TooLong;
  if (size < PairKey::kMinBytes) return KeyError::TooShort;
  out = PairKey::fromBytes(std::span<const std::uint8_t>(key.bytes.data(), size));
  return KeyError::None;
}

KeyLoad loadPairKey(const std::string& path) {
  const FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (fd.get() < 0) return failure(path, KeyError::CannotOpen, std::strerror(errno));
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) return failure(path, KeyError::ReadFailed, "fstat failed");
  if (!S_ISREG(info.st_mode)) {
    return failure(path, KeyError::NotRegularFile, "not a regular file");
  }
  if (info.st_uid != ::geteuid() && info.st_uid != 0) {
    return failure(path, KeyError::BadOwner,
                   "owned by uid " + std::to_string(info.st_uid) +
                       ", neither this process's user (uid " + std::to_string(::geteuid()) +
                       ") nor root");
  }
  if ((info.st_mode & 077) != 0) {
    return failure(path, KeyError::BadPermissions,
                   "mode " + octalMode(info.st_mode) +
                       " gives group or others access; it must be 0600 or 0400");
  }
  if (static_cast<std::size_t>(info.st_size) > kMaxFileBytes) {
    return failure(path, KeyError::TooLarge,
                   std::to_string(info.st_size) + " bytes, over " + std::to_string(kMaxFileBytes) +
                       ": not a key file");
  }

  WipedBuffer<kMaxFileBytes + 1> text;  // one more: a file that grew after fstat is refused
  std::size_t length = 0;
  while (length < text.bytes.size()) {
    const ssize_t n = ::read(fd.get(), text.bytes.data() + length, text.bytes.size() - length);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return failure(path, KeyError::ReadFailed, std::strerror(errno));
    if (n == 0) break;
    length += static_cast<std::size_t>(n);
  }
  if (length > kMaxFileBytes) {
    return failure(path, KeyError::TooLarge, "over " + std::to_string(kMaxFileBytes) + " bytes");
  }

  KeyLoad load;
  load.error = parsePairKey(
      std::string_view(reinterpret_cast<const char*>(text.bytes.data()), length), load.key);
  switch (load.error) {
    case KeyError::None:
      return load;
    case KeyError::NotHex:
      return failure(path, load.error,
                     "not hex: the key is hex digits in pairs (openssl rand -hex 32)");
    case KeyError::TooShort:
      return failure(path, load.error,
                     "under " + std::to_string(PairKey::kMinBytes) +
                         " bytes of key (64 hex digits); make one with openssl rand -hex 32");
    case KeyError::TooLong:
      return failure(path, load.error,
                     "over " + std::to_string(PairKey::kMaxBytes) + " bytes of key (" +
                         std::to_string(2 * PairKey::kMaxBytes) + " hex digits)");
    default:
      return failure(path, load.error, std::string(keyErrorName(load.error)));
  }
}

}  // namespace sipha::agent::heartbeat
