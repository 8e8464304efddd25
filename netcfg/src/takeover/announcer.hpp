#pragma once
// Announces an address this node holds: a gratuitous ARP (IPv4, AF_PACKET socket) or an
// unsolicited neighbour advertisement (IPv6, raw ICMPv6 socket, hop limit 255, to ff02::1).
// A burst of `count`, the first at once and then every `intervalMs` (RFC 5227 section 2.3 repeats
// announcements; RFC 4861 section 7.2.6 allows a few unsolicited NAs), then optionally one every
// `refreshS` seconds for as long as the series runs, so that a neighbour that missed the burst
// (a port that was down, a frame lost) learns the address anyway. Runs on the sd-event loop.
#include <systemd/sd-event.h>

#include <cstdint>
#include <string>

#include "takeover/announce_packets.hpp"

namespace sipha::netcfg::takeover {

struct AnnounceTarget {
  int linkIndex = 0;
  MacAddress mac{};
  std::string address;  // the literal taken over (IPv4 or IPv6)

  bool operator==(const AnnounceTarget&) const = default;
};

struct AnnounceSchedule {
  unsigned count = 3;         // the burst, 1 or more (announce-count)
  unsigned intervalMs = 200;  // between two announcements of the burst (announce-interval-ms)
  unsigned refreshS = 0;      // then one every refreshS seconds; 0: none (announce-refresh-s)

  bool operator==(const AnnounceSchedule&) const = default;
};

// Sends one announcement now. Empty string: sent.
std::string sendAnnouncement(const AnnounceTarget& target);

class Announcer {
 public:
  Announcer() = default;
  ~Announcer();
  Announcer(const Announcer&) = delete;
  Announcer& operator=(const Announcer&) = delete;

  // Sends the first announcement of the burst now and schedules the rest, then the refreshes
  // until stop(); a running series is replaced. Returns the first send's error (the series
  // continues: the link may come up).
  std::string start(sd_event* event, const AnnounceTarget& target,
                    const AnnounceSchedule& schedule);
  void stop() noexcept;  // e.g. on demotion

  std::uint64_t sent() const noexcept { return sent_; }      // announcements sent, all series
  std::uint64_t failed() const noexcept { return failed_; }  // sends refused by the kernel

 private:
  static int onTimer(sd_event_source* source, std::uint64_t usec, void* userdata) noexcept;
  void sendOne() noexcept;
  // Arms the timer for the next announcement (burst or refresh); none left: timer released.
  void scheduleNext(sd_event* event) noexcept;

  AnnounceTarget target_;
  sd_event_source* timer_ = nullptr;
  unsigned burstLeft_ = 0;  // announcements of the burst still to send
  std::uint64_t intervalUsec_ = 0;
  std::uint64_t refreshUsec_ = 0;
  std::uint64_t sent_ = 0;
  std::uint64_t failed_ = 0;
};

}  // namespace sipha::netcfg::takeover
