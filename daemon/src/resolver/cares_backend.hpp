#pragma once
// DnsBackend over c-ares on an sd-event loop: c-ares' sockets become sd-event I/O sources (its
// socket-state callback adds, changes and removes them) and its next timeout one CLOCK_MONOTONIC
// time source, so queries, retries and TCP fallback on truncation run inside the event loop
// without blocking it and without a thread. /etc/resolv.conf and /etc/hosts are read by c-ares
// when the channel is created (files, not the network).
#include <systemd/sd-event.h>

#include <cstdint>

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "resolver/dns_backend.hpp"

struct ares_addrinfo;  // <ares.h>

namespace sipha::resolver {

struct CaresOptions {
  int timeoutMs = 1500;  // first try; c-ares doubles it on later rounds
  int tries = 2;
  std::string servers;  // "" = /etc/resolv.conf; else "ip[:port],..." (ares_set_servers_ports_csv)
};

class CaresBackend final : public DnsBackend {
 public:
  // Null with `error` set when c-ares cannot be initialised or the servers do not parse.
  static std::unique_ptr<CaresBackend> create(sd_event* event, const CaresOptions& options,
                                              std::string& error);
  CaresBackend(const CaresBackend&) = delete;
  CaresBackend& operator=(const CaresBackend&) = delete;
  ~CaresBackend() override;

  void query(const std::string& name, int type, RawCallback done) override;
  void addresses(const std::string& name, AddressCallback done) override;

  std::size_t sockets() const noexcept { return io_.size(); }

 private:
  struct Channel;  // ares_channel, kept out of this header
  struct RawRequest;
  struct AddressRequest;

  explicit CaresBackend(sd_event* event);

  static void onSocketState(void* data, int fd, int readable, int writable);
  static int onIo(sd_event_source* source, int fd, std::uint32_t revents, void* userdata) noexcept;
  static int onTime(sd_event_source* source, std::uint64_t usec, void* userdata) noexcept;
  static int onDefer(sd_event_source* source, void* userdata) noexcept;
  static void onRaw(void* arg, int status, int timeouts, unsigned char* message, int length);
  static void onAddresses(void* arg, int status, int timeouts, ::ares_addrinfo* result);

  // Runs `completion` now, or from the defer source when c-ares answered inside query() or
  // addresses() (from /etc/hosts, or an immediate error): the DnsBackend contract.
  void complete(std::function<void()> completion);
  void process(int readFd, int writeFd);
  void rearmTimer();

  sd_event* event_;
  std::unique_ptr<Channel> channel_;
  std::unordered_map<int, sd_event_source*> io_;
  sd_event_source* time_ = nullptr;
  sd_event_source* defer_ = nullptr;
  std::vector<std::function<void()>> deferred_;
  int starting_ = 0;  // > 0 while inside query() / addresses()
  bool destroying_ = false;
};

}  // namespace sipha::resolver
