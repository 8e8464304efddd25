#include "fake_backend.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace sipha::resolver::test {

bool FakeBackend::hasRaw(const std::string& name, int type) const {
  return std::any_of(raw.begin(), raw.end(),
                     [&](const Raw& r) { return r.name == name && r.type == type; });
}

bool FakeBackend::hasAddr(const std::string& name) const {
  return std::any_of(addr.begin(), addr.end(), [&](const Addr& a) { return a.name == name; });
}

void FakeBackend::answerRaw(const std::string& name, int type, const Bytes& message) {
  const auto found = std::find_if(raw.begin(), raw.end(),
                                  [&](const Raw& r) { return r.name == name && r.type == type; });
  if (found == raw.end()) throw std::logic_error("no pending query for " + name);
  const RawCallback done = std::move(found->done);
  raw.erase(found);
  done(ResolveStatus::Ok, message);
}

void FakeBackend::failRaw(const std::string& name, int type, ResolveStatus status) {
  const auto found = std::find_if(raw.begin(), raw.end(),
                                  [&](const Raw& r) { return r.name == name && r.type == type; });
  if (found == raw.end()) throw std::logic_error("no pending query for " + name);
  const RawCallback done = std::move(found->done);
  raw.erase(found);
  done(status, {});
}

void FakeBackend::answerAddr(const std::string& name, const std::vector<std::string>& ips,
                             std::uint32_t ttl) {
  const auto found =
      std::find_if(addr.begin(), addr.end(), [&](const Addr& a) { return a.name == name; });
  if (found == addr.end()) throw std::logic_error("no pending address lookup for " + name);
  const AddressCallback done = std::move(found->done);
  addr.erase(found);
  AddressAnswer answer;
  answer.status = ResolveStatus::Ok;
  answer.ttl = ttl;
  for (const auto& ip : ips) {
    Address a;
    if (ip.find(':') == std::string::npos) {
      auto& in = reinterpret_cast<sockaddr_in&>(a.address);
      in.sin_family = AF_INET;
      inet_pton(AF_INET, ip.c_str(), &in.sin_addr);
      a.length = sizeof(sockaddr_in);
    } else {
      auto& in6 = reinterpret_cast<sockaddr_in6&>(a.address);
      in6.sin6_family = AF_INET6;
      inet_pton(AF_INET6, ip.c_str(), &in6.sin6_addr);
      a.length = sizeof(sockaddr_in6);
    }
    answer.addresses.push_back(a);
  }
  done(std::move(answer));
}

void FakeBackend::failAddr(const std::string& name, ResolveStatus status) {
  const auto found =
      std::find_if(addr.begin(), addr.end(), [&](const Addr& a) { return a.name == name; });
  if (found == addr.end()) throw std::logic_error("no pending address lookup for " + name);
  const AddressCallback done = std::move(found->done);
  addr.erase(found);
  AddressAnswer answer;
  answer.status = status;
  done(std::move(answer));
}

Bytes srvMessage(const std::string& name,
                 const std::vector<std::tuple<std::uint16_t, std::uint16_t, std::string>>& records,
                 std::uint32_t ttl) {
  std::vector<WireRecord> answers;
  for (const auto& [priority, port, target] : records) {
    answers.push_back({name, kTypeSrv, ttl, srvRdata(priority, 0, port, target)});
  }
  return buildAnswer(1, 0, name, kTypeSrv, answers);
}

void runUntil(sd_event* event, const std::function<bool()>& done, int maxIterations,
              std::uint64_t stepUsec) {
  for (int i = 0; i < maxIterations && !done(); ++i) sd_event_run(event, stepUsec);
}

}  // namespace sipha::resolver::test
