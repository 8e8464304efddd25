#pragma once
// The pair key: the secret both agents of a pair share to authenticate their heartbeats
// (docs/heartbeat.md, "The pair key"). Read from the file [ha] names; the file holds the key as
// hex digits (ASCII whitespace anywhere is ignored, so `openssl rand -hex 32 > FILE` or a wrapped
// `xxd -p` both work), 32 to 64 bytes of key. The file must be a regular file owned by this
// process's user or root, with no permission for group or others.
//
// The key lives only in a PairKey, whose memory is wiped (OPENSSL_cleanse) when it is destroyed
// or moved from; so is the buffer the file was read into.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace sipha::agent::heartbeat {

class PairKey {
 public:
  static constexpr std::size_t kMinBytes = 32;  // SHA-256's output: less weakens HMAC-SHA256
  static constexpr std::size_t kMaxBytes = 64;  // SHA-256's block: more is hashed down anyway

  // Nullopt when `bytes` is not kMinBytes .. kMaxBytes long.
  static std::optional<PairKey> fromBytes(std::span<const std::uint8_t> bytes) noexcept;

  PairKey(const PairKey&) = delete;
  PairKey& operator=(const PairKey&) = delete;
  PairKey(PairKey&& other) noexcept;
  PairKey& operator=(PairKey&& other) noexcept;
  ~PairKey();

  std::span<const std::uint8_t> bytes() const noexcept { return {bytes_.data(), size_}; }

 private:
  PairKey() = default;
  void wipe() noexcept;

  std::array<std::uint8_t, kMaxBytes> bytes_{};
  std::size_t size_ = 0;
};

enum class KeyError : std::uint8_t {
  None,
  CannotOpen,      // open() failed (errno in the message)
  NotRegularFile,  // a directory, device, FIFO ...
  BadOwner,        // owned by a user that is neither this process's nor root
  BadPermissions,  // group or others have any permission
  TooLarge,        // over 4096 bytes: not a key file
  ReadFailed,      // read() failed
  NotHex,          // a character that is neither a hex digit nor whitespace, or an odd count
  TooShort,        // under PairKey::kMinBytes of key
  TooLong,         // over PairKey::kMaxBytes of key
};

std::string_view keyErrorName(KeyError error) noexcept;

struct KeyLoad {
  std::optional<PairKey> key;  // set exactly when error is None
  KeyError error = KeyError::None;
  std::string message;  // "pair key FILE: reason", for the log; empty on success
};

// Reads and checks the key file at `path` (the checks are made on the opened file, not the name).
KeyLoad loadPairKey(const std::string& path);

// The key from its hex text (whitespace ignored); the checks of loadPairKey after the read.
KeyError parsePairKey(std::string_view text, std::optional<PairKey>& out);

}  // namespace sipha::agent::heartbeat
