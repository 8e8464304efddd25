#pragma once
// The registrar of RFC 3261 10.3 as pure logic: no sockets, no clock (the caller passes `now`,
// seconds since the epoch), no parser. Every state change is an Event given to the sink, in
// sequence order; apply() replays events on another instance (backup, restart).
// Single-threaded: call it from the event loop thread only.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "registrar/binding_store.hpp"
#include "registrar/digest_auth.hpp"
#include "registrar/event.hpp"
#include "registrar/types.hpp"

namespace sipha::registrar {

// What the configuration knows about a user: whether it is an Extension DN, and its password
// (empty: no authentication). The view must stay valid for the duration of the call.
struct ExtensionInfo {
  bool known = false;
  std::string_view password;
};
using ExtensionLookup = std::function<ExtensionInfo(std::string_view user)>;
using EventSink = std::function<void(const Event&)>;

class Registrar {
 public:
  Registrar(RegistrarOptions options, ExtensionLookup lookup, DigestOptions digest);

  // Receives every event this registrar generates (not the ones given to apply/restore).
  void setEventSink(EventSink sink) { sink_ = std::move(sink); }

  RegisterResult handleRegister(const RegisterRequest& request, std::int64_t now);

  // Current bindings of an AOR (for routing requests to a registered Extension).
  std::vector<Binding> bindingsOf(std::string_view user, std::string_view host,
                                  std::int64_t now) const;

  // Expiry, driven by the daemon's timer: the earliest absolute expiry, and removal of every
  // binding expired at `now` (one Expired event each). Returns how many expired.
  std::optional<std::int64_t> nextExpiry() const { return store_.nextExpiry(); }
  std::size_t expireUntil(std::int64_t now);

  enum class ApplyStatus : std::uint8_t { Applied, Stale };
  // Replays an event from another instance. Events with seq <= sequence() are Stale and
  // ignored; otherwise the state change is made and sequence() becomes event.seq.
  ApplyStatus apply(const Event& event);
  // Makes the state change of `event` without any sequence check (snapshot load, journal load).
  void restore(const Event& event);
  // The whole state as Added events (seq = sequence()), sorted by AOR then contact.
  std::vector<Event> snapshot() const;
  void clear() { store_.clear(); }

  std::uint64_t sequence() const noexcept { return seq_; }
  void setSequence(std::uint64_t seq) noexcept { seq_ = seq; }

  std::size_t aorCount() const noexcept { return store_.aors().size(); }
  std::size_t bindingCount() const noexcept { return store_.bindingCount(); }
  std::size_t memoryEstimate() const { return store_.memoryEstimate(); }
  const RegistrarCounters& counters() const noexcept { return counters_; }
  const RegistrarOptions& options() const noexcept { return options_; }
  // A reloaded configuration: limits apply to the next REGISTER; existing bindings stay as
  // they are (a lowered registrar-max-contacts only refuses growth).
  void setOptions(const RegistrarOptions& options) { options_ = options; }
  const DigestAuthenticator& authenticator() const noexcept { return auth_; }
  void setNonceSecret(std::string secret) { auth_.setSecret(std::move(secret)); }

  // "user@host" with the host lower-cased (RFC 3261 19.1.4), written into `out`.
  static void aorKey(std::string_view user, std::string_view host, std::string& out);

 private:
  RegisterResult fail(int status, std::string_view reason, std::uint64_t& counter);
  RegisterResult challenge(std::int64_t now, bool stale);
  RegisterResult registerContacts(const RegisterRequest& request, std::int64_t now);
  RegisterResult removeAll(const RegisterRequest& request, std::int64_t now);
  RegisterResult ok(std::int64_t now);
  void emit(EventKind kind, std::string_view uri, const RegisterRequest* request,
            std::int64_t expiresAt, std::optional<std::uint16_t> q, std::string_view params);
  void expireAor(std::int64_t now);

  RegistrarOptions options_;
  ExtensionLookup lookup_;
  DigestAuthenticator auth_;
  EventSink sink_;
  BindingStore store_;
  RegistrarCounters counters_;
  std::uint64_t seq_ = 0;
  std::string key_;  // scratch AOR key of the request being handled (no allocation per packet)
};

}  // namespace sipha::registrar
