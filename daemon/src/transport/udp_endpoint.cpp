#include "transport/udp_endpoint.hpp"

#include <cerrno>

namespace sipha::transport {

namespace {

constexpr int kBatchesPerWakeup = 4;  // sd-event dispatches one source per iteration

bool onlyLineBreaks(std::string_view bytes) noexcept {
  for (char c : bytes) {
    if (c != '\r' && c != '\n') return false;
  }
  return true;
}

}  // namespace

UdpEndpoint::~UdpEndpoint() { close(); }

Status UdpEndpoint::open(sd_event* event, const sockaddr_storage& address, socklen_t length,
                         const TransportLimits& limits) {
  UniqueFd fd;
  if (Status status = bindSocket(SOCK_DGRAM, address, length, limits.udpReceiveBuffer, fd);
      !status) {
    return status;
  }
  allocate(limits);
  sd_event_source* source = nullptr;
  const int r = sd_event_add_io(event, &source, fd.get(), EPOLLIN, &UdpEndpoint::onReadable, this);
  if (r < 0) return Status::failure(errnoCode(-r), "sd_event_add_io failed for UDP");
  sd_event_source_set_description(source, "sip-udp");
  close();
  source_ = source;
  port_ = boundPort(fd.get());
  family_ = address.ss_family;
  fd_ = std::move(fd);
  return Status::success();
}

void UdpEndpoint::allocate(const TransportLimits& limits) {
  const std::size_t batch = limits.udpBatch == 0 ? 1 : limits.udpBatch;
  slotSize_ = limits.maxMessageSize + 1;
  storage_.assign(batch * slotSize_, '\0');
  headers_.assign(batch, mmsghdr{});
  vectors_.assign(batch, iovec{});
  addresses_.assign(batch, sockaddr_storage{});
  for (std::size_t i = 0; i < batch; ++i) {
    vectors_[i].iov_base = storage_.data() + i * slotSize_;
    vectors_[i].iov_len = slotSize_;
    headers_[i].msg_hdr.msg_iov = &vectors_[i];
    headers_[i].msg_hdr.msg_iovlen = 1;
    headers_[i].msg_hdr.msg_name = &addresses_[i];
  }
}

void UdpEndpoint::setLimits(const TransportLimits& limits) noexcept {
  pendingLimits_ = limits;
  if (fd_.valid() && limits.udpReceiveBuffer > 0) {
    ::setsockopt(fd_.get(), SOL_SOCKET, SO_RCVBUF, &limits.udpReceiveBuffer,
                 sizeof(limits.udpReceiveBuffer));
  }
}

void UdpEndpoint::close() noexcept {
  source_ = sd_event_source_disable_unref(source_);
  fd_.reset();
}

int UdpEndpoint::onReadable(sd_event_source*, int, std::uint32_t, void* self) {
  auto* endpoint = static_cast<UdpEndpoint*>(self);
  for (int i = 0; i < kBatchesPerWakeup; ++i) {
    if (endpoint->receiveBatch() < static_cast<int>(endpoint->headers_.size())) break;
  }
  return 0;
}

int UdpEndpoint::receiveBatch() noexcept {
  if (!fd_.valid()) return 0;
  if (pendingLimits_) {
    allocate(*pendingLimits_);
    pendingLimits_.reset();
  }
  for (auto& header : headers_) {
    header.msg_hdr.msg_namelen = sizeof(sockaddr_storage);
    header.msg_hdr.msg_flags = 0;
    header.msg_len = 0;
  }
  const int count = ::recvmmsg(fd_.get(), headers_.data(), static_cast<unsigned>(headers_.size()),
                               MSG_DONTWAIT, nullptr);
  if (count < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) ++counters_.receiveErrors;
    return 0;
  }
  KindCounters& udp = counters_.of(TransportKind::Udp);
  Peer from;
  from.kind = TransportKind::Udp;
  for (int i = 0; i < count; ++i) {
    const mmsghdr& header = headers_[static_cast<std::size_t>(i)];
    const std::size_t size = header.msg_len;
    if ((header.msg_hdr.msg_flags & MSG_TRUNC) != 0 || size >= slotSize_) {
      ++counters_.oversizedMessages;
      continue;
    }
    std::string_view bytes(static_cast<const char*>(vectors_[static_cast<std::size_t>(i)].iov_base),
                           size);
    // RFC 5626 section 3.5.1 allows STUN keep-alives on UDP; bare CRLFs are sent by many phones.
    if (onlyLineBreaks(bytes)) {
      ++counters_.udpKeepAlives;
      continue;
    }
    from.address = addresses_[static_cast<std::size_t>(i)];
    from.addressLength = header.msg_hdr.msg_namelen;
    ++udp.messagesIn;
    udp.bytesIn += size;
    handler_(std::string(bytes), from);
    if (!fd_.valid()) return 0;  // closed by the handler (reconfigure)
  }
  return count;
}

std::error_code UdpEndpoint::sendTo(const Peer& to, std::string_view bytes) noexcept {
  KindCounters& udp = counters_.of(TransportKind::Udp);
  if (!fd_.valid()) {
    ++udp.sendErrors;
    return errnoCode(ENOTCONN);
  }
  if (to.address.ss_family != family_) {
    ++udp.sendErrors;
    return errnoCode(EAFNOSUPPORT);
  }
  for (;;) {
    const ssize_t sent =
        ::sendto(fd_.get(), bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
                 reinterpret_cast<const sockaddr*>(&to.address), to.addressLength);
    if (sent >= 0) break;
    if (errno == EINTR) continue;
    ++udp.sendErrors;
    return errnoCode(errno);
  }
  ++udp.messagesOut;
  udp.bytesOut += bytes.size();
  return {};
}

}  // namespace sipha::transport
