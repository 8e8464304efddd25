#include "takeover/announcer.hpp"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

namespace sipha::netcfg::takeover {
namespace {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string errnoText(const char* what) { return std::string{what} + ": " + std::strerror(errno); }

std::string sendArp(const AnnounceTarget& target, const Ipv4Bytes& address) {
  Fd fd{::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ARP))};
  if (fd.get() < 0) return errnoText("cannot open an AF_PACKET socket");
  const auto frame = gratuitousArp(target.mac, address);
  sockaddr_ll destination{};
  destination.sll_family = AF_PACKET;
  destination.sll_protocol = htons(ETH_P_ARP);
  destination.sll_ifindex = target.linkIndex;
  destination.sll_halen = 6;
  std::memset(destination.sll_addr, 0xff, 6);
  if (::sendto(fd.get(), frame.data(), frame.size(), 0,
               reinterpret_cast<const sockaddr*>(&destination), sizeof(destination)) < 0) {
    return errnoText("cannot send the gratuitous ARP");
  }
  return {};
}

std::string sendNa(const AnnounceTarget& target, const Ipv6Bytes& address) {
  Fd fd{::socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6)};
  if (fd.get() < 0) return errnoText("cannot open a raw ICMPv6 socket");
  const int hops = 255;  // RFC 4861 section 7.1.2: receivers drop NAs with another hop limit
  const unsigned index = static_cast<unsigned>(target.linkIndex);
  sockaddr_in6 source{};
  source.sin6_family = AF_INET6;
  std::memcpy(&source.sin6_addr, address.data(), address.size());
  if (::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops)) < 0 ||
      ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_MULTICAST_IF, &index, sizeof(index)) < 0 ||
      ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&source), sizeof(source)) < 0) {
    return errnoText("cannot prepare the neighbour advertisement socket");
  }
  const auto packet = unsolicitedNeighbourAdvert(target.mac, address);
  sockaddr_in6 allNodes{};
  allNodes.sin6_family = AF_INET6;
  allNodes.sin6_scope_id = index;
  inet_pton(AF_INET6, "ff02::1", &allNodes.sin6_addr);
  if (::sendto(fd.get(), packet.data(), packet.size(), 0,
               reinterpret_cast<const sockaddr*>(&allNodes), sizeof(allNodes)) < 0) {
    return errnoText("cannot send the neighbour advertisement");
  }
  return {};
}

}  // namespace

std::string sendAnnouncement(const AnnounceTarget& target) {
  Ipv4Bytes v4{};
  Ipv6Bytes v6{};
  if (inet_pton(AF_INET, target.address.c_str(), v4.data()) == 1) return sendArp(target, v4);
  if (inet_pton(AF_INET6, target.address.c_str(), v6.data()) == 1) return sendNa(target, v6);
  return "not an address: '" + target.address + "'";
}

Announcer::~Announcer() { stop(); }

std::string Announcer::start(sd_event* event, const AnnounceTarget& target,
                             const AnnounceSchedule& schedule) {
  stop();
  target_ = target;
  intervalUsec_ = static_cast<std::uint64_t>(schedule.intervalMs) * 1000;
  refreshUsec_ = static_cast<std::uint64_t>(schedule.refreshS) * 1'000'000;
  burstLeft_ = schedule.count > 0 ? schedule.count - 1 : 0;
  std::string error = sendAnnouncement(target_);
  error.empty() ? ++sent_ : ++failed_;
  if (event != nullptr) scheduleNext(event);
  return error;
}

void Announcer::stop() noexcept {
  timer_ = sd_event_source_disable_unref(timer_);
  burstLeft_ = 0;
  refreshUsec_ = 0;
}

void Announcer::scheduleNext(sd_event* event) noexcept {
  // The burst keeps its configured spacing (1 ms slack); refreshes may be coalesced with other
  // wake-ups (100 ms slack).
  constexpr std::uint64_t kBurstAccuracyUsec = 1'000;
  constexpr std::uint64_t kRefreshAccuracyUsec = 100'000;
  const bool burst = burstLeft_ > 0;
  const std::uint64_t delay = burst ? intervalUsec_ : refreshUsec_;
  const std::uint64_t accuracy = burst ? kBurstAccuracyUsec : kRefreshAccuracyUsec;
  if (delay == 0) {
    timer_ = sd_event_source_disable_unref(timer_);
    return;
  }
  std::uint64_t now = 0;
  int r = sd_event_now(event, CLOCK_MONOTONIC, &now);
  if (r >= 0 && timer_ == nullptr) {
    r = sd_event_add_time(event, &timer_, CLOCK_MONOTONIC, now + delay, accuracy,
                          &Announcer::onTimer, this);
    if (r < 0) timer_ = nullptr;
  } else if (r >= 0) {
    r = sd_event_source_set_time(timer_, now + delay);
    if (r >= 0) r = sd_event_source_set_time_accuracy(timer_, accuracy);
    if (r >= 0) r = sd_event_source_set_enabled(timer_, SD_EVENT_ONESHOT);
  }
  if (r < 0) {
    // No timer: the series ends here (the next role change or repair starts a new one).
    timer_ = sd_event_source_disable_unref(timer_);
    burstLeft_ = 0;
  }
}

int Announcer::onTimer(sd_event_source* source, std::uint64_t, void* userdata) noexcept {
  auto* self = static_cast<Announcer*>(userdata);
  if (self->burstLeft_ > 0) --self->burstLeft_;
  self->sendOne();
  self->scheduleNext(sd_event_source_get_event(source));
  return 0;
}

void Announcer::sendOne() noexcept {
  // A failed repeat is counted; the series goes on (the carrier may be coming up).
  try {
    sendAnnouncement(target_).empty() ? ++sent_ : ++failed_;
  } catch (...) {
    ++failed_;  // out of memory for the error text
  }
}

}  // namespace sipha::netcfg::takeover
