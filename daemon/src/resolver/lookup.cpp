#include "resolver/lookup.hpp"

#include <arpa/nameser.h>
#include <netinet/in.h>

#include <algorithm>

#include "resolver/dns_answer.hpp"

namespace sipha::resolver {
namespace {

void setPort(sockaddr_storage& address, std::uint16_t port) noexcept {
  if (address.ss_family == AF_INET) {
    reinterpret_cast<sockaddr_in&>(address).sin_port = htons(port);
  } else if (address.ss_family == AF_INET6) {
    reinterpret_cast<sockaddr_in6&>(address).sin6_port = htons(port);
  }
}

// Failures of the path (timeout, SERVFAIL) say more than "this name has no such record".
int severity(ResolveStatus status) noexcept {
  switch (status) {
    case ResolveStatus::Ok:
      return 0;
    case ResolveStatus::NoRecords:
      return 1;
    case ResolveStatus::NxDomain:
      return 2;
    default:
      return 3;
  }
}

}  // namespace

Lookup::Lookup(DnsBackend& backend, NextHopQuery query, LookupLimits limits,
               const RandomSource& random, Done done)
    : backend_(backend),
      query_(std::move(query)),
      limits_(limits),
      random_(random),
      done_(std::move(done)) {}

void Lookup::start() {
  const transport::TransportKind kind = fallbackTransport(query_);
  if (query_.port != 0) {
    // RFC 3263 4.2: "If the TARGET was not a numeric IP address, but a port is present in the
    // URI, the client performs an A or AAAA record lookup of the domain name."
    startAddresses({Target{kind, query_.host, query_.port, 0}});
  } else if (query_.transport || query_.secure) {
    // RFC 3263 4.1: a transport parameter (or sips) fixes the transport: SRV for it (4.2).
    startSrv({srvChoiceFor(kind, query_.host)});
  } else {
    startNaptr();
  }
}

void Lookup::noteFailure(ResolveStatus status, std::string what) {
  if (status == ResolveStatus::Ok) return;
  if (failure_ == ResolveStatus::Ok || severity(status) > severity(failure_)) {
    failure_ = status;
    failureWhat_ = std::move(what);
  }
}

void Lookup::lowerTtl(std::uint32_t ttl) noexcept { ttl_ = std::min(ttl_, ttl); }

void Lookup::startNaptr() {
  pending_ = 1;
  backend_.query(query_.host, ns_t_naptr,
                 [this](ResolveStatus status, std::span<const unsigned char> message) {
                   onNaptr(status, message);
                 });
}

void Lookup::onNaptr(ResolveStatus status, std::span<const unsigned char> message) {
  pending_ = 0;
  std::vector<NaptrRecord> records;
  std::uint32_t ttl = 0;
  if (status == ResolveStatus::Ok) status = parseNaptrAnswer(message, records, ttl);
  std::vector<SrvChoice> choices;
  if (status == ResolveStatus::Ok) choices = selectNaptr(std::move(records), query_.secure);
  if (!choices.empty()) {
    lowerTtl(ttl);
    startSrv(std::move(choices));
    return;
  }
  // RFC 3263 4.1: "If no NAPTR records are found, the client constructs SRV queries for those
  // transport protocols it supports". A NAPTR failure (timeout ...) is treated the same way: the
  // SRV and A/AAAA steps may still work, and the failure is reported if nothing does.
  noteFailure(status, "NAPTR " + query_.host);
  startSrv(srvFallbackChoices(query_.host, query_.secure));
}

void Lookup::startSrv(std::vector<SrvChoice> choices) {
  choices_ = std::move(choices);
  srvAnswers_.assign(choices_.size(), SrvAnswer{});
  pending_ = choices_.size();
  for (std::size_t i = 0; i < choices_.size(); ++i) {
    backend_.query(choices_[i].name, ns_t_srv,
                   [this, i](ResolveStatus status, std::span<const unsigned char> message) {
                     onSrv(i, status, message);
                   });
  }
}

void Lookup::onSrv(std::size_t index, ResolveStatus status,
                   std::span<const unsigned char> message) {
  SrvAnswer& answer = srvAnswers_[index];
  if (status == ResolveStatus::Ok) status = parseSrvAnswer(message, answer.records, answer.ttl);
  answer.status = status;
  if (--pending_ == 0) srvDone();
}

void Lookup::srvDone() {
  std::vector<Target> targets;
  for (std::size_t i = 0; i < choices_.size(); ++i) {
    SrvAnswer& answer = srvAnswers_[i];
    if (answer.status != ResolveStatus::Ok) {
      noteFailure(answer.status, "SRV " + choices_[i].name);
      continue;
    }
    lowerTtl(answer.ttl);
    for (auto& record : orderSrv(std::move(answer.records), random_)) {
      if (targets.size() >= limits_.maxTargets) break;
      targets.push_back(Target{choices_[i].kind, std::move(record.target), record.port, 0});
    }
  }
  if (targets.empty()) {
    // RFC 3263 4.2: "If no SRV records were found, the client performs an A or AAAA record
    // lookup of the domain name", with the default port of the transport.
    const transport::TransportKind kind = fallbackTransport(query_);
    targets.push_back(Target{kind, query_.host, defaultPort(kind), 0});
  }
  startAddresses(std::move(targets));
}

void Lookup::startAddresses(std::vector<Target> targets) {
  targets_ = std::move(targets);
  // One query per distinct name (a host often serves both _sip._udp and _sip._tcp).
  std::vector<std::string> names;
  for (auto& target : targets_) {
    auto found = std::find(names.begin(), names.end(), target.name);
    target.answer = static_cast<std::size_t>(found - names.begin());
    if (found == names.end()) names.push_back(target.name);
  }
  answers_.assign(names.size(), AddressAnswer{});
  pending_ = names.size();
  for (std::size_t i = 0; i < names.size(); ++i) {
    backend_.addresses(names[i],
                       [this, i](AddressAnswer&& answer) { onAddresses(i, std::move(answer)); });
  }
}

void Lookup::onAddresses(std::size_t index, AddressAnswer&& answer) {
  answers_[index] = std::move(answer);
  if (--pending_ == 0) addressesDone();
}

void Lookup::addressesDone() {
  ResolveResult result;
  result.name = query_.host;
  std::vector<bool> used(answers_.size(), false);
  for (const Target& target : targets_) {
    const AddressAnswer& answer = answers_[target.answer];
    if (answer.status != ResolveStatus::Ok || answer.addresses.empty()) {
      noteFailure(answer.status == ResolveStatus::Ok ? ResolveStatus::NoRecords : answer.status,
                  "A/AAAA " + target.name);
      continue;
    }
    if (!used[target.answer]) {
      lowerTtl(answer.ttl);
      used[target.answer] = true;
    }
    for (const Address& address : answer.addresses) {
      if (result.peers.size() >= limits_.maxPeers) break;
      transport::Peer peer;
      peer.kind = target.kind;
      peer.address = address.address;
      peer.addressLength = address.length;
      setPort(peer.address, target.port);
      result.peers.push_back(peer);
    }
  }
  if (!result.peers.empty()) {
    result.status = ResolveStatus::Ok;
  } else {
    result.status = failure_ == ResolveStatus::Ok ? ResolveStatus::NoRecords : failure_;
    result.detail = failureWhat_;
  }
  finish(std::move(result));
}

void Lookup::finish(ResolveResult&& result) {
  // `done` may destroy this Lookup: call a copy that lives on the stack, touch nothing after.
  const Done done = std::move(done_);
  const std::uint32_t ttl = ttl_ == UINT32_MAX ? 0 : ttl_;
  done(std::move(result), ttl);
}

}  // namespace sipha::resolver
