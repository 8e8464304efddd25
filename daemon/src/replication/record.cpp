#include "replication/record.hpp"

#include <optional>
#include <utility>

#include "replication/wire.hpp"

// Fields of each kind, in order (after u8 version, u8 kind):
//   Binding  u64 seq, u8 kind (1..4), aor, contactUri, callId, u32 cseq, i64 expiresAt,
//            u8 has q (0/1) [+ u16 q (0..1000) when 1], params, source
//   CallLeg  u64 sequence, u8 kind (1..2), callKey, u8 leg (0 inbound, 1 outbound),
//            u8 dialog state (0..3), callId, localTag, remoteTag, localUri, remoteUri,
//            remoteTarget, u16 route count (<= b2bua::kMaxRouteSet) + the routes,
//            localCseq, remoteCseq (each u8 present 0/1 [+ u32]), u8 secure (0/1), transport,
//            localSdp, remoteSdp, sdpState
//   Trunk    dn, contact, u8 inService (0/1), u8 reason, u64 sinceUsec
//   Secret   secret
//   EarlyCall callKey, invite, source, inboundTo, the inbound and the outbound dialog (each as
//            in CallLeg: u8 state, six strings, routes, the two CSeqs, secure, transport, the
//            two SDPs), u32 inviteCseq, branch, requestUri, nextHop, to, u16 route count + the
//            routes, transport, u32 noAnswerMs, the two legs' sdpState
// Every value has exactly one encoding: flags are 0 or 1 and absent optionals carry no value.
namespace sipha::replication {
namespace {

// q-values are thousandths, 0 to 1 (RFC 3261 20.10).
constexpr std::uint16_t kMaxQ = 1000;

bool validKind(registrar::EventKind kind) noexcept {
  const auto value = static_cast<std::uint8_t>(kind);
  return value >= static_cast<std::uint8_t>(registrar::EventKind::Added) &&
         value <= static_cast<std::uint8_t>(registrar::EventKind::Expired);
}

bool validKind(b2bua::StateEventKind kind) noexcept {
  return kind == b2bua::StateEventKind::LegUpdated || kind == b2bua::StateEventKind::CallEnded;
}

// CallReplica holds the two linked legs only (the Transfer slot is never replicated).
bool validLeg(b2bua::LegId leg) noexcept {
  return leg == b2bua::LegId::Inbound || leg == b2bua::LegId::Outbound;
}

bool validState(b2bua::DialogState state) noexcept {
  return static_cast<std::uint8_t>(state) <=
         static_cast<std::uint8_t>(b2bua::DialogState::Terminated);
}

// The registrar keeps a binding's strings with 16-bit lengths (BindingStore).
bool bindingString(WireWriter& w, std::string_view value) {
  return value.size() <= registrar::kMaxEventFieldLength && w.string(value);
}

bool readBindingString(WireReader& r, std::string& out) {
  const std::string_view value = r.string();
  if (r.failed() || value.size() > registrar::kMaxEventFieldLength) return false;
  out.assign(value);
  return true;
}

void putFlag(WireWriter& w, bool value) { w.u8(value ? 1 : 0); }

bool readFlag(WireReader& r, bool& out) noexcept {
  const std::uint8_t value = r.u8();
  out = value == 1;
  return !r.failed() && value <= 1;
}

void putOptional(WireWriter& w, const std::optional<std::uint32_t>& value) {
  putFlag(w, value.has_value());
  if (value) w.u32(*value);
}

bool readOptional(WireReader& r, std::optional<std::uint32_t>& out) noexcept {
  bool present = false;
  if (!readFlag(r, present)) return false;
  out.reset();
  if (present) out = r.u32();
  return !r.failed();
}

bool encodeBinding(WireWriter& w, const registrar::Event& e) {
  if (!validKind(e.kind) || (e.q && *e.q > kMaxQ)) return false;
  w.u64(e.seq);
  w.u8(static_cast<std::uint8_t>(e.kind));
  bool ok = bindingString(w, e.aor) && bindingString(w, e.contactUri) && bindingString(w, e.callId);
  if (!ok) return false;
  w.u32(e.cseq);
  w.i64(e.expiresAt);
  putFlag(w, e.q.has_value());
  if (e.q) w.u16(*e.q);
  return bindingString(w, e.params) && bindingString(w, e.source);
}

bool decodeBinding(WireReader& r, registrar::Event& e) {
  e.seq = r.u64();
  e.kind = static_cast<registrar::EventKind>(r.u8());
  if (r.failed() || !validKind(e.kind)) return false;
  if (!readBindingString(r, e.aor) || !readBindingString(r, e.contactUri) ||
      !readBindingString(r, e.callId)) {
    return false;
  }
  e.cseq = r.u32();
  e.expiresAt = r.i64();
  bool hasQ = false;
  if (!readFlag(r, hasQ)) return false;
  if (hasQ) {
    const std::uint16_t q = r.u16();
    if (r.failed() || q > kMaxQ) return false;
    e.q = q;
  }
  return readBindingString(r, e.params) && readBindingString(r, e.source);
}

bool encodeRoutes(WireWriter& w, const std::vector<std::string>& routes) {
  if (routes.size() > b2bua::kMaxRouteSet) return false;
  w.u16(static_cast<std::uint16_t>(routes.size()));
  for (const std::string& route : routes) {
    if (!w.string(route)) return false;
  }
  return true;
}

bool decodeRoutes(WireReader& r, std::vector<std::string>& routes) {
  const std::uint16_t count = r.u16();
  if (r.failed() || count > b2bua::kMaxRouteSet) return false;
  routes.resize(count);
  for (std::string& route : routes) {
    if (!r.string(route)) return false;
  }
  return true;
}

bool encodeDialog(WireWriter& w, const b2bua::Dialog& d) {
  if (!validState(d.state)) return false;
  w.u8(static_cast<std::uint8_t>(d.state));
  for (const std::string* field :
       {&d.callId, &d.localTag, &d.remoteTag, &d.localUri, &d.remoteUri, &d.remoteTarget}) {
    if (!w.string(*field)) return false;
  }
  if (!encodeRoutes(w, d.routeSet)) return false;
  putOptional(w, d.localCseq);
  putOptional(w, d.remoteCseq);
  putFlag(w, d.secure);
  return w.string(d.transport) && w.string(d.localSdp) && w.string(d.remoteSdp);
}

bool decodeDialog(WireReader& r, b2bua::Dialog& d) {
  d.state = static_cast<b2bua::DialogState>(r.u8());
  if (r.failed() || !validState(d.state)) return false;
  for (std::string* field :
       {&d.callId, &d.localTag, &d.remoteTag, &d.localUri, &d.remoteUri, &d.remoteTarget}) {
    if (!r.string(*field)) return false;
  }
  return decodeRoutes(r, d.routeSet) && readOptional(r, d.localCseq) &&
         readOptional(r, d.remoteCseq) && readFlag(r, d.secure) && r.string(d.transport) &&
         r.string(d.localSdp) && r.string(d.remoteSdp);
}

bool encodeCallLeg(WireWriter& w, const CallLegRecord& record) {
  const b2bua::StateEvent& e = record.event;
  if (!validKind(e.kind) || !validLeg(e.leg)) return false;
  w.u64(e.sequence);
  w.u8(static_cast<std::uint8_t>(e.kind));
  if (!w.string(e.callKey)) return false;
  w.u8(static_cast<std::uint8_t>(e.leg));
  return encodeDialog(w, e.dialog) && w.string(record.sdpState);
}

bool decodeCallLeg(WireReader& r, CallLegRecord& record) {
  b2bua::StateEvent& e = record.event;
  e.sequence = r.u64();
  e.kind = static_cast<b2bua::StateEventKind>(r.u8());
  if (r.failed() || !validKind(e.kind) || !r.string(e.callKey)) return false;
  e.leg = static_cast<b2bua::LegId>(r.u8());
  if (r.failed() || !validLeg(e.leg)) return false;
  return decodeDialog(r, e.dialog) && r.string(record.sdpState);
}

bool encodeEarlyCall(WireWriter& w, const EarlyCallRecord& record) {
  const b2bua::EarlyCall& c = record.call;
  if (!w.string(c.callKey) || !w.string(c.invite) || !w.string(c.source) ||
      !w.string(c.inboundTo) || !encodeDialog(w, c.inbound) || !encodeDialog(w, c.outbound)) {
    return false;
  }
  w.u32(c.inviteCseq);
  if (!w.string(c.branch) || !w.string(c.requestUri) || !w.string(c.nextHop) || !w.string(c.to) ||
      !encodeRoutes(w, c.routes) || !w.string(c.transport)) {
    return false;
  }
  w.u32(c.noAnswerMs);
  return w.string(record.sdpState[0]) && w.string(record.sdpState[1]);
}

bool decodeEarlyCall(WireReader& r, EarlyCallRecord& record) {
  b2bua::EarlyCall& c = record.call;
  if (!r.string(c.callKey) || !r.string(c.invite) || !r.string(c.source) ||
      !r.string(c.inboundTo) || !decodeDialog(r, c.inbound) || !decodeDialog(r, c.outbound)) {
    return false;
  }
  c.inviteCseq = r.u32();
  if (r.failed() || !r.string(c.branch) || !r.string(c.requestUri) || !r.string(c.nextHop) ||
      !r.string(c.to) || !decodeRoutes(r, c.routes) || !r.string(c.transport)) {
    return false;
  }
  c.noAnswerMs = r.u32();
  return !r.failed() && r.string(record.sdpState[0]) && r.string(record.sdpState[1]);
}

bool encodeTrunk(WireWriter& w, const TrunkRecord& t) {
  if (!w.string(t.dn) || !w.string(t.contact)) return false;
  putFlag(w, t.inService);
  w.u8(t.reason);
  w.u64(t.sinceUsec);
  return true;
}

bool decodeTrunk(WireReader& r, TrunkRecord& t) {
  if (!r.string(t.dn) || !r.string(t.contact) || !readFlag(r, t.inService)) return false;
  t.reason = r.u8();
  t.sinceUsec = r.u64();
  return !r.failed();
}

bool encodeSecret(WireWriter& w, const SecretRecord& s) { return w.string(s.secret); }

bool decodeSecret(WireReader& r, SecretRecord& s) { return r.string(s.secret); }

// Decodes the fields of one kind into a fresh value; `out` changes only on success.
template <typename T, typename Decode>
bool decodeInto(WireReader& r, Record& out, Decode decode) {
  T value;
  if (!decode(r, value) || !r.done()) return false;
  out = std::move(value);
  return true;
}

}  // namespace

RecordKind kindOf(const Record& record) noexcept {
  struct Visitor {
    RecordKind operator()(const registrar::Event&) const noexcept { return RecordKind::Binding; }
    RecordKind operator()(const CallLegRecord&) const noexcept { return RecordKind::CallLeg; }
    RecordKind operator()(const TrunkRecord&) const noexcept { return RecordKind::Trunk; }
    RecordKind operator()(const SecretRecord&) const noexcept { return RecordKind::Secret; }
    RecordKind operator()(const EarlyCallRecord&) const noexcept { return RecordKind::EarlyCall; }
  };
  return std::visit(Visitor{}, record);
}

std::string_view kindName(RecordKind kind) noexcept {
  switch (kind) {
    case RecordKind::Binding:
      return "binding";
    case RecordKind::CallLeg:
      return "call";
    case RecordKind::Trunk:
      return "trunk";
    case RecordKind::Secret:
      return "secret";
    case RecordKind::EarlyCall:
      return "early-call";
  }
  return "unknown";
}

bool encodeRecord(const Record& record, std::string& out) {
  struct Visitor {
    WireWriter& w;
    bool operator()(const registrar::Event& e) const { return encodeBinding(w, e); }
    bool operator()(const CallLegRecord& c) const { return encodeCallLeg(w, c); }
    bool operator()(const TrunkRecord& t) const { return encodeTrunk(w, t); }
    bool operator()(const SecretRecord& s) const { return encodeSecret(w, s); }
    bool operator()(const EarlyCallRecord& c) const { return encodeEarlyCall(w, c); }
  };
  const std::size_t begin = out.size();
  WireWriter w(out);
  w.u8(kRecordVersion);
  w.u8(static_cast<std::uint8_t>(kindOf(record)));
  if (!std::visit(Visitor{w}, record) || out.size() - begin > kMaxRecordBytes) {
    out.resize(begin);
    return false;
  }
  return true;
}

std::string_view recordErrorName(RecordError error) noexcept {
  switch (error) {
    case RecordError::None:
      return "none";
    case RecordError::BadVersion:
      return "bad-version";
    case RecordError::UnknownKind:
      return "unknown-kind";
    case RecordError::Malformed:
      return "malformed";
  }
  return "unknown";
}

RecordError decodeRecord(std::string_view in, Record& out) {
  if (in.size() > kMaxRecordBytes) return RecordError::Malformed;
  WireReader r(in);
  const std::uint8_t version = r.u8();
  if (r.failed()) return RecordError::Malformed;
  if (version != kRecordVersion) return RecordError::BadVersion;
  const std::uint8_t kind = r.u8();
  if (r.failed()) return RecordError::Malformed;
  bool ok = false;
  switch (static_cast<RecordKind>(kind)) {
    case RecordKind::Binding:
      ok = decodeInto<registrar::Event>(r, out, decodeBinding);
      break;
    case RecordKind::CallLeg:
      ok = decodeInto<CallLegRecord>(r, out, decodeCallLeg);
      break;
    case RecordKind::Trunk:
      ok = decodeInto<TrunkRecord>(r, out, decodeTrunk);
      break;
    case RecordKind::Secret:
      ok = decodeInto<SecretRecord>(r, out, decodeSecret);
      break;
    case RecordKind::EarlyCall:
      ok = decodeInto<EarlyCallRecord>(r, out, decodeEarlyCall);
      break;
    default:
      return RecordError::UnknownKind;
  }
  return ok ? RecordError::None : RecordError::Malformed;
}

}  // namespace sipha::replication
