#include "core/register_handler.hpp"

#include <filesystem>

#include "common/log/log.hpp"
#include "core/settings_mapping.hpp"
#include "registrar/contact_format.hpp"

namespace sipha::core {
namespace {

constexpr std::string_view kStoreFailureStatusLine =
    "SIP/2.0 500 Server Internal Error - Registration Not Stored\r\n";

// A held 200 whose bindings could not be stored becomes a 500: same headers, other status line.
std::string asStoreFailure(const std::string& okResponse) {
  const auto lineEnd = okResponse.find("\r\n");
  std::string failure{kStoreFailureStatusLine};
  if (lineEnd != std::string::npos) failure.append(okResponse, lineEnd + 2);
  return failure;
}

}  // namespace

RegisterHandler::RegisterHandler(timer::TimerWheel& wheel, CoreCounters& counters, NowSeconds now,
                                 Responder responder)
    : wheel_(wheel), counters_(counters), now_(std::move(now)), responder_(std::move(responder)) {}

RegisterHandler::~RegisterHandler() {
  wheel_.cancel(expiryTimer_);
  if (log_ != nullptr) log_->removeConsumer(this);
}

bool RegisterHandler::open(std::shared_ptr<const common::Config> config, std::string& error) {
  config_ = std::move(config);
  const auto& tserver = config_->tserver;
  registrar_ = std::make_unique<registrar::Registrar>(
      registrarOptionsFrom(tserver),
      [this](std::string_view user) {
        registrar::ExtensionInfo info;
        const auto* dn = config_->findDn(user);
        if (dn != nullptr && dn->type == common::DnType::Extension) {
          info.known = true;
          info.password = dn->password;
        }
        return info;
      },
      digestOptionsFrom(tserver));
  if (log_ != nullptr) {
    registrar_->setEventSink([this](const registrar::Event& event) { log_->publish(event); });
  }
  if (!tserver.internalRegistrarPersistent) return true;

  std::error_code ignored;
  std::filesystem::create_directories(config_->appliance.dataDir, ignored);
  const std::string path = config_->appliance.dataDir + "/registrar.sqlite";
  journal_ = registrar::SqliteJournal::open(path, error);
  if (!journal_) return false;
  if (!journal_->load(*registrar_, now_(), error)) return false;
  if (log_ == nullptr) {
    registrar_->setEventSink([this](const registrar::Event& event) { journal_->append(event); });
  }
  journal_->start();
  common::logInfo("registrar: ", registrar_->bindingCount(), " bindings loaded from ", path);
  scheduleExpiry();
  return true;
}

void RegisterHandler::configure(std::shared_ptr<const common::Config> config) {
  config_ = std::move(config);
  if (registrar_) registrar_->setOptions(registrarOptionsFrom(config_->tserver));
}

bool RegisterHandler::buildRequest(const sip::Message& request, std::string_view source) {
  auto& out = request_;
  sip::Uri to;
  if (!request.to().parsedUri(to) || !to.isSip()) return false;
  out.aorUser = to.user;
  out.aorHost = to.host;
  out.callId = request.callId();
  out.cseq = request.cseq().number;
  out.expiresHeader = request.expires();
  out.star = false;
  out.contacts.clear();
  out.authorization = request.header(sip::HeaderId::Authorization);
  out.method = request.methodText();
  out.requestUri = request.requestUriText();
  out.source = source;
  std::size_t index = 0;
  for (const std::string_view value : request.values(sip::HeaderId::Contact)) {
    sip::NameAddr contact;
    if (!sip::parseNameAddr(value, contact)) return false;
    if (contact.star) {
      out.star = true;
      continue;
    }
    if (contactParams_.size() <= index) contactParams_.emplace_back();
    std::string& params = contactParams_[index++];
    params.clear();
    for (const auto& param : contact.paramList()) {
      if (param.name == "expires" || param.name == "q") continue;
      params += ';';
      params += param.name;
      if (param.hasValue) {
        params += '=';
        params += param.value;
      }
    }
    out.contacts.push_back({contact.uri, contact.expires(), contact.q(), params});
  }
  // "Contact: *" must stand alone (10.3 step 6); the registrar checks it with star + contacts.
  return true;
}

void RegisterHandler::handle(const sip::Message& request,
                             transaction::ServerTransaction& transaction, std::string_view source,
                             sip::ResponseSpec spec) {
  if (!buildRequest(request, source)) {
    spec.status = 400;
    spec.reason = "Bad Request - Malformed Contact or To";
    responder_(transaction, spec.status, sip::buildResponse(request, spec));
    return;
  }
  const registrar::RegisterResult result = registrar_->handleRegister(request_, now_());
  headers_.clear();
  if (result.status == 200 && !result.current.empty()) {
    contactHeader_.clear();
    for (const auto& binding : result.current) {
      if (!contactHeader_.empty()) contactHeader_ += ", ";
      registrar::appendContactValue(contactHeader_, binding);
    }
    headers_.push_back({"Contact", contactHeader_});
  }
  if (result.status == 423) {
    minExpires_ = std::to_string(result.minExpires);
    headers_.push_back({"Min-Expires", minExpires_});
  }
  for (const auto& challenge : result.challenges) {
    headers_.push_back({"WWW-Authenticate", challenge});
  }
  spec.status = static_cast<std::uint16_t>(result.status);
  spec.reason = result.reason;
  spec.headers = headers_;
  std::string bytes = sip::buildResponse(request, spec);
  scheduleExpiry();
  if (result.eventSeq != 0 && changeListener_) changeListener_();

  if (result.status == 200 && result.eventSeq != 0) {
    // Hold the 200 until the journal has these bindings on disk and the backup has them
    // (docs/replication.md "Synchronous REGISTER"): the two waits overlap. The backup's wait
    // never completes from inside peerWait_, so the entry can be made after it.
    const std::uint64_t id = nextHeldId_;
    const bool peer =
        peerWait_ && log_ != nullptr && peerWait_(log_->head(), [this, id](bool) { release(id); });
    if (journal_ || peer) {
      ++nextHeldId_;
      Held& held = held_.emplace(id, Held{&transaction, std::move(bytes)}).first->second;
      heldIds_.emplace(&transaction, id);
      if (peer) ++held.waits;
      if (journal_) {
        ++held.waits;
        ++counters_.heldForDurability;
        journal_->afterDurable(result.eventSeq, [this, id](bool durable) {
          const auto found = held_.find(id);
          if (found == held_.end()) return;  // the transaction went away meanwhile
          if (!durable) found->second.stored = false;
          release(id);
        });
      }
      release(id);  // the registration's own hold
      return;
    }
  }
  responder_(transaction, spec.status, std::move(bytes));
}

void RegisterHandler::release(std::uint64_t id) {
  const auto found = held_.find(id);
  if (found == held_.end()) return;
  if (--found->second.waits > 0) return;
  Held held = std::move(found->second);
  held_.erase(found);
  heldIds_.erase(held.transaction);
  if (held.stored) {
    responder_(*held.transaction, 200, std::move(held.bytes));
  } else {
    ++counters_.durabilityFailures;
    responder_(*held.transaction, 500, asStoreFailure(held.bytes));
  }
}

void RegisterHandler::setStateLog(replication::StateLog* log) {
  log_ = log;
  if (log_ != nullptr) log_->addConsumer(this);
}

void RegisterHandler::onRecord(std::uint64_t, const replication::Record& record, std::string_view) {
  // The journal is the stream's first reader: the registrar's events reach it from here.
  if (!journal_) return;
  if (const auto* event = std::get_if<registrar::Event>(&record)) journal_->append(*event);
}

void RegisterHandler::setExpiring(bool expiring) {
  expiring_ = expiring;
  if (!expiring_) {
    wheel_.cancel(expiryTimer_);
  } else if (registrar_) {
    scheduleExpiry();
  }
}

void RegisterHandler::beginReplicaSnapshot() {
  if (!registrar_) return;
  registrar_->clear();
  registrar_->setSequence(0);
  snapshotSequence_ = 0;
}

void RegisterHandler::applyReplicated(registrar::Event&& event, bool fromSnapshot) {
  if (!registrar_) return;
  // Connection ids are per node: "tcp:ip:port#7" on the primary would name another connection
  // here. Without the id the binding's phone is reached through its Contact after a promotion.
  if (const auto hash = event.source.find('#'); hash != std::string::npos) {
    event.source.resize(hash);
  }
  if (fromSnapshot) {
    registrar_->restore(event);
    snapshotSequence_ = std::max(snapshotSequence_, event.seq);
  } else if (registrar_->apply(event) == registrar::Registrar::ApplyStatus::Applied && journal_) {
    journal_->append(std::move(event));  // the backup's data partition follows the primary's
  }
  if (changeListener_) changeListener_();
}

void RegisterHandler::endReplicaSnapshot() {
  if (!registrar_) return;
  registrar_->setSequence(std::max(registrar_->sequence(), snapshotSequence_));
  if (!journal_) return;
  // The stored bindings become the snapshot's, in one transaction when the writer is idle.
  journal_->appendReset(registrar_->sequence());
  for (registrar::Event& event : registrar_->snapshot()) journal_->append(std::move(event));
}

void RegisterHandler::setNonceSecret(const std::string& secret) {
  if (registrar_) registrar_->setNonceSecret(secret);
}

std::string RegisterHandler::nonceSecret() const {
  return registrar_ ? registrar_->authenticator().options().secret : std::string{};
}

void RegisterHandler::drainCompletions() {
  if (journal_) journal_->drainCompletions();
}

void RegisterHandler::forget(const transaction::Transaction& transaction) {
  const auto found = heldIds_.find(&transaction);
  if (found == heldIds_.end()) return;
  held_.erase(found->second);
  heldIds_.erase(found);
}

void RegisterHandler::scheduleExpiry() {
  if (!expiring_) return;
  const auto next = registrar_->nextExpiry();
  if (!next) return;
  if (wheel_.pending(expiryTimer_) && expiryScheduledAt_ <= *next) return;
  wheel_.cancel(expiryTimer_);
  const std::int64_t delaySeconds = std::max<std::int64_t>(0, *next - now_());
  expiryScheduledAt_ = *next;
  expiryTimer_ = wheel_.schedule(timer::Duration{delaySeconds * 1000}, [this] { expire(); });
}

void RegisterHandler::expire() {
  const std::size_t expired = registrar_->expireUntil(now_());
  scheduleExpiry();
  if (expired != 0 && changeListener_) changeListener_();
}

}  // namespace sipha::core
