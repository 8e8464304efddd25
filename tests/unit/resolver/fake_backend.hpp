#pragma once
// A DnsBackend the test answers by hand, plus helpers to run an sd-event loop a bounded time.
#include <arpa/nameser.h>
#include <systemd/sd-event.h>

#include <functional>
#include <string>
#include <vector>

#include "dns_wire.hpp"
#include "resolver/dns_backend.hpp"

namespace sipha::resolver::test {

class FakeBackend final : public DnsBackend {
 public:
  struct Raw {
    std::string name;
    int type;
    RawCallback done;
  };
  struct Addr {
    std::string name;
    AddressCallback done;
  };

  void query(const std::string& name, int type, RawCallback done) override {
    raw.push_back(Raw{name, type, std::move(done)});
    ++rawSent;
  }
  void addresses(const std::string& name, AddressCallback done) override {
    addr.push_back(Addr{name, std::move(done)});
    ++addrSent;
  }

  bool hasRaw(const std::string& name, int type) const;
  bool hasAddr(const std::string& name) const;
  // Answers the pending query for (name, type) with a wire message, or with `status`.
  void answerRaw(const std::string& name, int type, const Bytes& message);
  void failRaw(const std::string& name, int type, ResolveStatus status);
  // Answers the pending address lookup of `name` with IPv4/IPv6 literals, or fails it.
  void answerAddr(const std::string& name, const std::vector<std::string>& ips,
                  std::uint32_t ttl = 300);
  void failAddr(const std::string& name, ResolveStatus status);

  std::vector<Raw> raw;
  std::vector<Addr> addr;
  int rawSent = 0;
  int addrSent = 0;
};

// A NOERROR answer with SRV records (priority, weight 0, port, target) for `name`.
Bytes srvMessage(const std::string& name,
                 const std::vector<std::tuple<std::uint16_t, std::uint16_t, std::string>>& records,
                 std::uint32_t ttl = 300);

// Runs the loop until `done()` or `maxIterations` iterations of at most `stepUsec` each.
void runUntil(sd_event* event, const std::function<bool()>& done, int maxIterations = 200,
              std::uint64_t stepUsec = 50000);

}  // namespace sipha::resolver::test
