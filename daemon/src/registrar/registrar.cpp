#include "registrar/registrar.hpp"

#include <algorithm>
#include <tuple>

namespace sipha::registrar {
namespace {

// A request may list at most this many Contact values (each is compared with the others).
constexpr std::size_t kMaxContactsPerRequest = 64;

Binding toBinding(const StoredBinding& stored, std::int64_t now) {
  const std::int64_t remaining = std::max<std::int64_t>(0, stored.expiresAt() - now);
  return Binding{std::string(stored.uri()), std::string(stored.params()),
                 std::string(stored.source()), static_cast<std::uint32_t>(remaining), stored.q()};
}

}  // namespace

Registrar::Registrar(RegistrarOptions options, ExtensionLookup lookup, DigestOptions digest)
    : options_(options), lookup_(std::move(lookup)), auth_(std::move(digest)) {
  if (options_.minExpires > options_.maxExpires) options_.maxExpires = options_.minExpires;
}

void Registrar::aorKey(std::string_view user, std::string_view host, std::string& out) {
  out.assign(user);
  out.push_back('@');
  for (char c : host) out.push_back((c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c);
}

RegisterResult Registrar::fail(int status, std::string_view reason, std::uint64_t& counter) {
  ++counter;
  RegisterResult result;
  result.status = status;
  result.reason.assign(reason);
  return result;
}

RegisterResult Registrar::challenge(std::int64_t now, bool stale) {
  ++counters_.unauthorized;
  RegisterResult result;
  result.status = 401;
  result.reason = "Unauthorized";
  result.challenges = auth_.challenges(now, stale);
  return result;
}

RegisterResult Registrar::handleRegister(const RegisterRequest& request, std::int64_t now) {
  ++counters_.requests;
  const std::uint64_t startSeq = seq_;
  if (request.aorHost.empty() || request.aorUser.size() + request.aorHost.size() >= kMaxAorLength) {
    return fail(400, "Bad Request", counters_.badRequest);
  }
  // 10.3 step 5 comes first here: authentication (steps 3-4) needs the user's password.
  const ExtensionInfo info = lookup_ ? lookup_(request.aorUser) : ExtensionInfo{};
  if (!info.known && !options_.acceptUnknown) return fail(404, "Not Found", counters_.notFound);
  // 10.3 steps 3-4, 22.4: the credentials must be the AOR user's.
  if (info.known && !info.password.empty()) {
    const DigestVerdict verdict =
        auth_.verify(request.authorization, request.aorUser, info.password, request.method,
                     request.requestUri, now);
    if (verdict != DigestVerdict::Ok) {
      // What the SIP core feeds to its per-source failure limit (docs/authentication.md): not
      // a stale nonce with the right password (a phone reusing its last nonce on a refresh),
      // not a nonce sipd did not issue (one from before a restart: the password was not even
      // checked, so nothing was guessed).
      if (verdict != DigestVerdict::Missing && verdict != DigestVerdict::StaleNonce &&
          verdict != DigestVerdict::BadNonce) {
        ++counters_.authFailures;
      }
      return challenge(now, verdict == DigestVerdict::StaleNonce);
    }
  }
  if (request.callId.empty() || request.callId.size() > kMaxCallIdLength ||
      request.source.size() > kMaxSourceLength) {
    return fail(400, "Bad Request", counters_.badRequest);
  }
  aorKey(request.aorUser, request.aorHost, key_);
  expireAor(now);  // a binding past its expiry no longer exists, even if the timer is late

  RegisterResult result;
  if (request.star) {
    result = removeAll(request, now);
  } else if (request.contacts.empty()) {
    ++counters_.queries;  // 10.3 step 6: no Contact -> query
    result = ok(now);
  } else {
    result = registerContacts(request, now);
  }
  if (seq_ != startSeq) result.eventSeq = seq_;
  return result;
}

// 10.3 step 6: "Contact: *" only alone and only with Expires: 0; removes every binding, unless
// one of them has the same Call-ID and a CSeq not lower (step 7 ordering).
RegisterResult Registrar::removeAll(const RegisterRequest& request, std::int64_t now) {
  if (!request.contacts.empty() || !request.expiresHeader || *request.expiresHeader != 0) {
    return fail(400, "Bad Request", counters_.badRequest);
  }
  if (const AorRecord* record = store_.find(key_)) {
    for (const auto& binding : record->bindings) {
      if (binding.callId() == request.callId && request.cseq <= binding.cseq()) {
        return fail(500, "Server Internal Error", counters_.outOfOrder);
      }
    }
  }
  while (const AorRecord* record = store_.find(key_)) {
    const StoredBinding& last = record->bindings.back();
    emit(EventKind::Removed, last.uri(), nullptr, 0, std::nullopt, {});
    store_.remove(key_, last.uri());
  }
  return ok(now);
}

// 10.3 steps 6-8. All contacts are checked before any binding changes: the request is atomic.
RegisterResult Registrar::registerContacts(const RegisterRequest& request, std::int64_t now) {
  const auto& contacts = request.contacts;
  if (contacts.size() > kMaxContactsPerRequest) {
    return fail(403, "Too Many Contacts", counters_.tooManyContacts);
  }
  auto expiresOf = [&](const ContactSpec& contact) -> std::uint32_t {
    std::uint32_t expires = contact.expires         ? *contact.expires
                            : request.expiresHeader ? *request.expiresHeader
                                                    : options_.defaultExpires;
    return std::min(expires, options_.maxExpires);
  };
  const AorRecord* record = store_.find(key_);
  const std::size_t before = record ? record->bindings.size() : 0;
  std::size_t count = before;
  for (std::size_t i = 0; i < contacts.size(); ++i) {
    const ContactSpec& contact = contacts[i];
    if (contact.uri.empty() || contact.uri.size() > kMaxUriLength ||
        contact.params.size() > kMaxParamsLength || (contact.q && *contact.q > 1000)) {
      return fail(400, "Bad Request", counters_.badRequest);
    }
    const std::uint32_t expires = expiresOf(contact);
    if (expires != 0 && expires < options_.minExpires) {  // 10.3 step 6, 423
      RegisterResult result = fail(423, "Interval Too Brief", counters_.intervalTooBrief);
      result.minExpires = options_.minExpires;
      return result;
    }
    const StoredBinding* existing = nullptr;
    if (record) {
      for (const auto& binding : record->bindings) {
        if (contactUriEqual(binding.uri(), contact.uri)) existing = &binding;
      }
    }
    if (existing && existing->callId() == request.callId && request.cseq <= existing->cseq()) {
      return fail(500, "Server Internal Error", counters_.outOfOrder);  // 10.3 step 7
    }
    // A URI listed twice counts once, with its last occurrence deciding.
    bool repeatedLater = false;
    for (std::size_t j = i + 1; j < contacts.size() && !repeatedLater; ++j) {
      repeatedLater = contactUriEqual(contacts[j].uri, contact.uri);
    }
    if (repeatedLater) continue;
    if (existing && expires == 0) --count;
    if (!existing && expires != 0) ++count;
  }
  // Only growth is refused: after the limit was lowered, an AOR above it may still refresh.
  if (count > options_.maxContacts && count > before) {
    return fail(403, "Too Many Contacts", counters_.tooManyContacts);
  }
  // Events name a binding by its stored URI text, so the journal's key stays stable.
  for (const ContactSpec& contact : contacts) {
    const std::uint32_t expires = expiresOf(contact);
    if (expires == 0) {
      if (const StoredBinding* existing = store_.findBinding(key_, contact.uri)) {
        emit(EventKind::Removed, existing->uri(), nullptr, 0, std::nullopt, {});
        store_.remove(key_, contact.uri);
      }
      continue;
    }
    const std::int64_t expiresAt = now + expires;
    const auto [binding, added] = store_.upsert(key_, contact.uri, request.callId, contact.params,
                                                request.source, request.cseq, expiresAt, contact.q);
    emit(added ? EventKind::Added : EventKind::Refreshed, binding->uri(), &request, expiresAt,
         contact.q, contact.params);
  }
  return ok(now);
}

RegisterResult Registrar::ok(std::int64_t now) {
  ++counters_.ok;
  RegisterResult result;
  result.status = 200;
  result.reason = "OK";
  if (const AorRecord* record = store_.find(key_)) {
    result.current.reserve(record->bindings.size());
    for (const auto& binding : record->bindings) result.current.push_back(toBinding(binding, now));
  }
  return result;
}

void Registrar::emit(EventKind kind, std::string_view uri, const RegisterRequest* request,
                     std::int64_t expiresAt, std::optional<std::uint16_t> q,
                     std::string_view params) {
  ++seq_;
  if (!sink_) return;
  Event event;
  event.seq = seq_;
  event.kind = kind;
  event.aor = key_;
  event.contactUri.assign(uri);
  if (request) {
    event.callId.assign(request->callId);
    event.cseq = request->cseq;
    event.expiresAt = expiresAt;
    event.q = q;
    event.params.assign(params);
    event.source.assign(request->source);
  }
  sink_(event);
}

void Registrar::expireAor(std::int64_t now) {
  store_.expireAor(key_, now, [this](std::string_view, const StoredBinding& binding) {
    ++counters_.expired;
    emit(EventKind::Expired, binding.uri(), nullptr, 0, std::nullopt, {});
  });
}

std::size_t Registrar::expireUntil(std::int64_t now) {
  const std::uint64_t before = counters_.expired;
  store_.expireUntil(now, [this](std::string_view aor, const StoredBinding& binding) {
    ++counters_.expired;
    key_.assign(aor);
    emit(EventKind::Expired, binding.uri(), nullptr, 0, std::nullopt, {});
  });
  return static_cast<std::size_t>(counters_.expired - before);
}

std::vector<Binding> Registrar::bindingsOf(std::string_view user, std::string_view host,
                                           std::int64_t now) const {
  std::string key;
  aorKey(user, host, key);
  std::vector<Binding> bindings;
  if (const AorRecord* record = store_.find(key)) {
    for (const auto& binding : record->bindings) {
      if (binding.expiresAt() > now) bindings.push_back(toBinding(binding, now));
    }
  }
  return bindings;
}

Registrar::ApplyStatus Registrar::apply(const Event& event) {
  if (event.seq <= seq_) return ApplyStatus::Stale;
  restore(event);
  seq_ = event.seq;
  return ApplyStatus::Applied;
}

void Registrar::restore(const Event& event) {
  switch (event.kind) {
    case EventKind::Added:
    case EventKind::Refreshed:
      store_.upsert(event.aor, event.contactUri, event.callId, event.params, event.source,
                    event.cseq, event.expiresAt, event.q);
      break;
    case EventKind::Removed:
    case EventKind::Expired:
      store_.remove(event.aor, event.contactUri);
      break;
  }
}

std::vector<Event> Registrar::snapshot() const {
  std::vector<Event> events;
  events.reserve(store_.bindingCount());
  for (const auto& [aor, record] : store_.aors()) {
    for (const auto& binding : record.bindings) {
      Event event;
      event.seq = seq_;
      event.kind = EventKind::Added;
      event.aor = aor;
      event.contactUri.assign(binding.uri());
      event.callId.assign(binding.callId());
      event.cseq = binding.cseq();
      event.expiresAt = binding.expiresAt();
      event.q = binding.q();
      event.params.assign(binding.params());
      event.source.assign(binding.source());
      events.push_back(std::move(event));
    }
  }
  std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    return std::tie(a.aor, a.contactUri) < std::tie(b.aor, b.contactUri);
  });
  return events;
}

}  // namespace sipha::registrar
