#pragma once
// The DNS queries a lookup needs, as an interface: CaresBackend sends them (cares_backend.hpp);
// unit tests answer them by hand.
//
// Contract: each callback is called exactly once, from the event loop and never from inside the
// query()/addresses() call that started it; none is called once the backend is being destroyed.
#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "resolver/resolve_result.hpp"

namespace sipha::resolver {

struct Address {
  sockaddr_storage address{};  // port not set
  socklen_t length = 0;
};

struct AddressAnswer {
  ResolveStatus status = ResolveStatus::Failure;
  std::vector<Address> addresses;  // IPv4 first, then IPv6; no duplicates
  std::uint32_t ttl = 0;           // smallest TTL of the records (0 for /etc/hosts entries)
};

class DnsBackend {
 public:
  // status Ok: `message` is the whole answer in wire format; otherwise it may be empty.
  using RawCallback = std::function<void(ResolveStatus, std::span<const unsigned char> message)>;
  using AddressCallback = std::function<void(AddressAnswer&&)>;

  virtual ~DnsBackend() = default;
  // One query of class IN and type `type` (ns_t_naptr, ns_t_srv) for a fully qualified name.
  virtual void query(const std::string& name, int type, RawCallback done) = 0;
  // A and AAAA records of `name`, /etc/hosts first (getaddrinfo semantics).
  virtual void addresses(const std::string& name, AddressCallback done) = 0;
};

}  // namespace sipha::resolver
