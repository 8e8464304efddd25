#pragma once
// What the daemon's glue gives the registrar for a REGISTER, and what it gets back to build the
// response (RFC 3261 10.3). Independent of the wire format: the glue parses, we decide.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sipha::registrar {

// One Contact header value of the REGISTER (views into the received message).
struct ContactSpec {
  std::string_view uri;                  // the URI text, without <> and parameters
  std::optional<std::uint32_t> expires;  // the "expires" contact parameter
  std::optional<std::uint16_t> q;        // the "q" parameter in thousandths (0..1000)
  std::string_view params;               // other parameters, raw (";+sip.instance=...")
};

struct RegisterRequest {
  std::string_view aorUser;  // To URI user part (case-sensitive)
  std::string_view aorHost;  // To URI host (case-insensitive)
  std::string_view callId;
  std::uint32_t cseq = 0;
  std::optional<std::uint32_t> expiresHeader;
  std::vector<ContactSpec> contacts;
  bool star = false;               // "Contact: *"
  std::string_view authorization;  // raw Authorization header value, or empty
  std::string_view method = "REGISTER";
  std::string_view requestUri;  // Request-URI text, for the digest-uri check
  std::string_view source;      // e.g. "udp:1.2.3.4:5060", recorded with the binding
};

// A current binding, listed in the 200 (Contact: <uri>;expires=N;q=0.x plus params).
struct Binding {
  std::string uri;
  std::string params;
  std::string source;
  std::uint32_t expires = 0;  // remaining seconds
  std::optional<std::uint16_t> q;
};

struct RegisterResult {
  int status = 500;
  std::string reason;
  std::vector<Binding> current;         // 200: all bindings of the AOR after the request
  std::uint32_t minExpires = 0;         // 423: the Min-Expires header value
  std::vector<std::string> challenges;  // 401: WWW-Authenticate values, one header each
  // Sequence number of the last event this request caused, 0 if none (query, errors). With
  // persistence the glue holds a 200 until the journal reports this sequence durable.
  std::uint64_t eventSeq = 0;
};

struct RegistrarOptions {
  bool acceptUnknown = false;           // registrar-accept-unknown
  std::uint32_t defaultExpires = 3600;  // registrar-default-expires
  std::uint32_t minExpires = 60;        // registrar-min-expires
  std::uint32_t maxExpires = 7200;      // registrar-max-expires
  std::size_t maxContacts = 10;         // registrar-max-contacts (per AOR)
};

// Limits on what a peer makes us store (each violation answers 400).
constexpr std::size_t kMaxUriLength = 2048;
constexpr std::size_t kMaxCallIdLength = 512;
constexpr std::size_t kMaxParamsLength = 2048;
constexpr std::size_t kMaxSourceLength = 256;
constexpr std::size_t kMaxAorLength = 512;

struct RegistrarCounters {
  std::uint64_t requests = 0;
  std::uint64_t ok = 0;
  std::uint64_t queries = 0;
  std::uint64_t badRequest = 0;        // 400
  std::uint64_t unauthorized = 0;      // 401 sent (challenge or failed credentials)
  std::uint64_t authFailures = 0;      // credentials present but wrong (not: stale, not ours)
  std::uint64_t tooManyContacts = 0;   // 403
  std::uint64_t notFound = 0;          // 404
  std::uint64_t intervalTooBrief = 0;  // 423
  std::uint64_t outOfOrder = 0;        // 500 (Call-ID/CSeq, 10.3 step 7)
  std::uint64_t expired = 0;           // bindings expired
};

}  // namespace sipha::registrar
