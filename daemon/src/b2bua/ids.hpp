#pragma once
// Where a Call gets its random identifiers from: injected so tests are deterministic.
#include <string>

namespace sipha::b2bua {

class IdSource {
 public:
  virtual ~IdSource() = default;
  virtual std::string tag() = 0;     // From/To tag (RFC 3261 19.3: >= 32 bits of randomness)
  virtual std::string callId() = 0;  // Call-ID of an outbound leg (8.1.1.4)
  // A top Via branch starting with the magic cookie "z9hG4bK" (8.1.1.7), unique per request.
  virtual std::string branch() = 0;
};

}  // namespace sipha::b2bua
