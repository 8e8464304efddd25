#pragma once
// Announces an address this node just took over: a gratuitous ARP (IPv4, AF_PACKET socket) or
// an unsolicited neighbour advertisement (IPv6, raw ICMPv6 socket, hop limit 255, to ff02::1),
// `count` times, the first at once and then every `intervalMs` on the sd-event loop (RFC 5227
// section 2.3 repeats announcements; RFC 4861 section 7.2.6 allows a few unsolicited NAs).
#include <systemd/sd-event.h>

#include <cstdint>
#include <string>

#include "takeover/announce_packets.hpp"

namespace sipha::netcfg::takeover {

struct AnnounceTarget {
  int linkIndex = 0;
  MacAddress mac{};
  std::string address;  // the literal taken over (IPv4 or IPv6)
};

// Sends one announcement now. Empty string: sent.
std::string sendAnnouncement(const AnnounceTarget& target);

class Announcer {
 public:
  Announcer() = default;
  ~Announcer();
  Announcer(const Announcer&) = delete;
  Announcer& operator=(const Announcer&) = delete;

  // Sends the first announcement now and schedules count - 1 more; a running series is
  // replaced. Returns the first send's error (the series continues: the link may come up).
  std::string start(sd_event* event, const AnnounceTarget& target, unsigned count,
                    unsigned intervalMs);
  void stop() noexcept;  // e.g. on demotion

  std::uint64_t sent() const noexcept { return sent_; }      // announcements sent, all series
  std::uint64_t failed() const noexcept { return failed_; }  // sends refused by the kernel

 private:
  static int onTimer(sd_event_source* source, std::uint64_t usec, void* userdata) noexcept;
  void sendOne();

  AnnounceTarget target_;
  sd_event_source* timer_ = nullptr;
  unsigned remaining_ = 0;
  std::uint64_t intervalUsec_ = 0;
  std::uint64_t sent_ = 0;
  std::uint64_t failed_ = 0;
};

}  // namespace sipha::netcfg::takeover
