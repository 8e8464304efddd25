#include "halink/connection.hpp"

#include <openssl/err.h>
#include <sys/epoll.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "halink/link_core.hpp"
#include "halink/socket_bio.hpp"
#include "transport/peer_format.hpp"

namespace sipha::halink {

namespace {

constexpr int kReadsPerWakeup = 16;
constexpr std::uint64_t kNever = UINT64_MAX;
constexpr std::uint64_t kTimerAccuracyUsec = 10'000;
constexpr std::size_t kShrinkOutputAbove = 1 << 20;

std::uint64_t msToUsec(std::uint32_t ms) noexcept { return std::uint64_t{ms} * 1000; }

}  // namespace

LinkConnection::LinkConnection(LinkCore& core, std::uint64_t id, bool inbound,
                               transport::UniqueFd fd, const sockaddr_storage& peer,
                               socklen_t peerLength)
    : core_(core),
      id_(id),
      inbound_(inbound),
      peerAddress_(transport::formatAddress(peer, peerLength)),
      tls_(core.tls),
      fd_(std::move(fd)) {}

LinkConnection::~LinkConnection() {
  io_ = sd_event_source_disable_unref(io_);
  timer_ = sd_event_source_disable_unref(timer_);
  flush_ = sd_event_source_disable_unref(flush_);
  if (ssl_ && fd_.valid() && (state_ == State::Open || state_ == State::Draining)) {
    SSL_shutdown(ssl_.get());  // the Link is going away: a best-effort close_notify
    ERR_clear_error();
  }
}

std::uint64_t LinkConnection::now() const noexcept {
  std::uint64_t usec = 0;
  sd_event_now(core_.event, CLOCK_MONOTONIC, &usec);
  return usec;
}

void LinkConnection::start(bool connecting) {
  startedAt_ = now();
  ERR_clear_error();
  BIO* bio = newSocketBio(fd_.get(), core_.counters.socketWrites);
  if (bio != nullptr) ssl_ = newConnectionSsl(*tls_, inbound_, bio, confirmed_);
  if (!ssl_) {
    fail(inbound_ ? CloseReason::HandshakeFailed : CloseReason::ConnectFailed,
         "cannot create the TLS connection: " + transport::drainOpenSslErrors());
    return;
  }
  state_ = connecting ? State::Connecting : State::Handshaking;
  events_ = connecting ? EPOLLOUT : EPOLLIN;
  int r = sd_event_add_io(core_.event, &io_, fd_.get(), events_, &LinkConnection::onIo, this);
  if (r >= 0) {
    r = sd_event_add_time(core_.event, &timer_, CLOCK_MONOTONIC, deadline(), kTimerAccuracyUsec,
                          &LinkConnection::onTimer, this);
  }
  if (r >= 0) r = sd_event_add_defer(core_.event, &flush_, &LinkConnection::onFlush, this);
  if (r >= 0) r = sd_event_source_set_enabled(flush_, SD_EVENT_OFF);
  if (r < 0) {
    finish(inbound_ ? CloseReason::HandshakeFailed : CloseReason::ConnectFailed,
           std::string("cannot watch the connection: ") + std::strerror(-r));
    return;
  }
  sd_event_source_set_description(io_, "halink-connection");
}

void LinkConnection::fail(CloseReason reason, std::string detail) {
  finish(reason, std::move(detail));
}

std::uint64_t LinkConnection::deadline() const noexcept {
  const LinkSettings& settings = core_.settings;
  switch (state_) {
    case State::Connecting:
    case State::Handshaking:
    case State::Confirming:
      return startedAt_ + msToUsec(settings.handshakeTimeoutMs);
    case State::Open:
      return settings.idleTimeoutMs == 0 ? kNever
                                         : lastReceived_ + msToUsec(settings.idleTimeoutMs);
    case State::Draining:
      return drainDeadline_;
    case State::Closed:
      break;
  }
  return kNever;
}

void LinkConnection::rearmTimer() {
  if (timer_ == nullptr) return;
  const std::uint64_t due = deadline();
  if (due == kNever) {
    sd_event_source_set_enabled(timer_, SD_EVENT_OFF);
    return;
  }
  sd_event_source_set_time(timer_, due);
  sd_event_source_set_enabled(timer_, SD_EVENT_ONESHOT);
}

int LinkConnection::onTimer(sd_event_source*, std::uint64_t, void* self) {
  auto* connection = static_cast<LinkConnection*>(self);
  const std::uint64_t due = connection->deadline();
  if (due == kNever || connection->now() < due) {
    connection->rearmTimer();  // traffic since it was armed: re-armed lazily, not per read
    return 0;
  }
  LinkCounters& counters = connection->core_.counters;
  const LinkSettings& settings = connection->core_.settings;
  switch (connection->state_) {
    case State::Open:
      ++counters.idleTimeouts;
      connection->finish(CloseReason::IdleTimeout,
                         "nothing received for " + std::to_string(settings.idleTimeoutMs) + " ms",
                         true);
      break;
    case State::Draining:
      connection->finish(connection->closeReason_,
                         std::to_string(connection->queuedBytes()) +
                             " queued bytes dropped: not written within " +
                             std::to_string(settings.closeTimeoutMs) + " ms");
      break;
    case State::Closed:
      break;
    default:
      ++counters.handshakeTimeouts;
      connection->finish(
          CloseReason::HandshakeTimeout,
          "no TLS session within " + std::to_string(settings.handshakeTimeoutMs) + " ms");
      break;
  }
  return 0;
}

int LinkConnection::onIo(sd_event_source*, int, std::uint32_t revents, void* self) {
  auto* connection = static_cast<LinkConnection*>(self);
  switch (connection->state_) {
    case State::Connecting:
      connection->finishConnect();
      break;
    case State::Handshaking:
      connection->handshake();
      break;
    case State::Confirming:
    case State::Open: {
      const bool retryRead = connection->tlsWantsWrite_ && (revents & EPOLLOUT) != 0;
      connection->tlsWantsWrite_ = false;
      if ((revents & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0 || retryRead) {
        connection->readAvailable();
      }
      // Frames queued by the handlers just now go out with this write, too.
      if (connection->state_ == State::Open && connection->queuedBytes() > 0) connection->flush();
      break;
    }
    case State::Draining:
      connection->flush();
      break;
    case State::Closed:
      return 0;
  }
  connection->updateEvents();
  return 0;
}

int LinkConnection::onFlush(sd_event_source*, void* self) {
  auto* connection = static_cast<LinkConnection*>(self);
  connection->flushScheduled_ = false;
  if (connection->state_ == State::Open) {
    connection->flush();
    connection->updateEvents();
  }
  return 0;
}

void LinkConnection::updateEvents() {
  std::uint32_t events = EPOLLIN;
  switch (state_) {
    case State::Connecting:
      events = EPOLLOUT;
      break;
    case State::Handshaking:
      if (tlsWantsWrite_) events |= EPOLLOUT;
      break;
    case State::Confirming:
    case State::Open:
      if (tlsWantsWrite_ || writeBlocked_) events |= EPOLLOUT;
      break;
    case State::Draining:
      events = EPOLLOUT;  // nothing is read any more
      break;
    case State::Closed:
      return;
  }
  if (io_ != nullptr && events != events_) {
    events_ = events;
    sd_event_source_set_io_events(io_, events);
  }
}

void LinkConnection::finishConnect() {
  int error = 0;
  socklen_t length = sizeof(error);
  if (::getsockopt(fd_.get(), SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
  if (error != 0) {
    ++core_.counters.connectFailures;
    finish(CloseReason::ConnectFailed, "connect(" + peerAddress_ + "): " + std::strerror(error));
    return;
  }
  state_ = State::Handshaking;
  handshake();
}

void LinkConnection::handshake() {
  ERR_clear_error();
  const int r = SSL_do_handshake(ssl_.get());
  if (r != 1) {
    const int error = SSL_get_error(ssl_.get(), r);
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
      tlsWantsWrite_ = error == SSL_ERROR_WANT_WRITE;
      return;
    }
    failHandshake(error);
    return;
  }
  tlsWantsWrite_ = false;
  if (inbound_) {
    becomeOpen();  // the client's certificate is verified
  } else {
    state_ = State::Confirming;  // we verified the server; did it accept us?
  }
  // Read-ahead may already hold the next records (tickets, frames): epoll will not say so.
  if (state_ == State::Open || state_ == State::Confirming) readAvailable();
}

void LinkConnection::failHandshake(int sslError) {
  bool refusedByUs = false;
  std::string detail =
      describeHandshakeFailure(ssl_.get(), sslError, !tls_->pinnedDer.empty(), refusedByUs);
  ++core_.counters.handshakeFailures;
  if (refusedByUs) ++core_.counters.certificateRefusals;
  finish(CloseReason::HandshakeFailed, std::move(detail));
}

void LinkConnection::becomeOpen() {
  state_ = State::Open;
  opened_ = true;
  lastReceived_ = now();
  peerCommonName_ = halink::peerCommonName(ssl_.get());
  ++core_.counters.linksOpened;
  rearmTimer();
  if (queuedBytes() > 0) scheduleFlush();
  core_.handler.linkOpen(*this);
}

void LinkConnection::readAvailable() {
  for (int i = 0; state_ == State::Open || state_ == State::Confirming; ++i) {
    if (i >= kReadsPerWakeup && SSL_has_pending(ssl_.get()) == 0) return;  // epoll wakes us
    const std::span<char> space = input_.writable(core_.settings.maxFrameBytes);
    std::size_t got = 0;
    ERR_clear_error();
    const int r = SSL_read_ex(ssl_.get(), space.data(), space.size(), &got);
    const int savedErrno = errno;
    const int error = r == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl_.get(), r);
    if (state_ == State::Confirming && (confirmed_ || r == 1)) {
      becomeOpen();  // the server's ticket, or data, arrived: it accepted our certificate
      if (state_ != State::Open) return;
    }
    if (r == 1) {
      core_.counters.bytesIn += got;
      lastReceived_ = now();
      input_.commit(got);
      deliverFrames();
      continue;
    }
    if (error == SSL_ERROR_WANT_READ) return;
    if (error == SSL_ERROR_WANT_WRITE) {
      tlsWantsWrite_ = true;
      return;
    }
    if (state_ == State::Confirming) {
      errno = savedErrno;
      failHandshake(error);  // typically the server's alert refusing our certificate
    } else {
      readFailed(error, savedErrno);
    }
    return;
  }
}

void LinkConnection::readFailed(int sslError, int savedErrno) {
  const int reason = ERR_GET_REASON(ERR_peek_error());
  if (sslError == SSL_ERROR_ZERO_RETURN) {
    finish(CloseReason::PeerClosed, "close_notify received");
  } else if ((sslError == SSL_ERROR_SSL && reason == SSL_R_UNEXPECTED_EOF_WHILE_READING) ||
             (sslError == SSL_ERROR_SYSCALL && savedErrno == 0)) {
    finish(CloseReason::PeerClosed, "the peer closed the connection without close_notify");
  } else if (sslError == SSL_ERROR_SYSCALL) {
    finish(CloseReason::ReadError, std::string("recv(): ") + std::strerror(savedErrno));
  } else {
    finish(CloseReason::ReadError, "TLS: " + transport::drainOpenSslErrors());
  }
  ERR_clear_error();
}

void LinkConnection::deliverFrames() {
  const std::size_t limit = core_.settings.maxFrameBytes;
  while (state_ == State::Open) {
    std::string_view frame;
    std::uint64_t length = 0;
    switch (input_.next(limit, frame, length)) {
      case FrameBuffer::Next::NeedMore:
        return;
      case FrameBuffer::Next::Oversized:
        ++core_.counters.oversizedFrames;
        finish(CloseReason::Oversized,
               "frame of " + std::to_string(length) + " bytes announced, the limit is " +
                   std::to_string(limit),
               true);
        return;
      case FrameBuffer::Next::Frame:
        ++core_.counters.framesIn;
        core_.handler.linkFrame(*this, frame);  // may send, close, connect: all deferred
        break;
    }
  }
}

bool LinkConnection::send(std::string_view frame) {
  if (state_ == State::Draining || state_ == State::Closed) return false;
  const LinkSettings& settings = core_.settings;
  if (frame.size() > settings.maxFrameBytes) return false;
  const std::size_t bytes = kFrameHeaderBytes + frame.size();
  if (queuedBytes() + bytes > settings.maxOutputBytes) {
    ++core_.counters.outputLimitHits;
    finish(CloseReason::OutputLimit,
           "output queue over " + std::to_string(settings.maxOutputBytes) + " bytes", true);
    return false;
  }
  appendFrameHeader(output_, static_cast<std::uint32_t>(frame.size()));
  output_.append(frame);
  ++core_.counters.framesOut;
  if (state_ == State::Open) scheduleFlush();
  return true;
}

void LinkConnection::scheduleFlush() {
  if (flushScheduled_ || flush_ == nullptr) return;
  flushScheduled_ = sd_event_source_set_enabled(flush_, SD_EVENT_ONESHOT) >= 0;
}

void LinkConnection::flush() {
  writeBlocked_ = false;
  while (queuedBytes() > 0) {
    std::size_t written = 0;
    ERR_clear_error();
    const int r = SSL_write_ex(ssl_.get(), output_.data() + outputOffset_, queuedBytes(), &written);
    if (r == 1) {
      outputOffset_ += written;
      core_.counters.bytesOut += written;
      continue;
    }
    const int savedErrno = errno;
    const int error = SSL_get_error(ssl_.get(), r);
    if (error == SSL_ERROR_WANT_WRITE) {
      writeBlocked_ = true;
      break;
    }
    if (error == SSL_ERROR_WANT_READ) break;  // retried on the next wakeup
    finish(CloseReason::WriteError, error == SSL_ERROR_SYSCALL
                                        ? std::string("send(): ") + std::strerror(savedErrno)
                                        : "TLS: " + transport::drainOpenSslErrors());
    ERR_clear_error();
    return;
  }
  if (outputOffset_ == output_.size()) {
    output_.clear();
    outputOffset_ = 0;
    if (output_.capacity() > kShrinkOutputAbove) output_.shrink_to_fit();
  } else if (outputOffset_ > output_.size() / 2) {
    output_.erase(0, outputOffset_);  // SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER allows this
    outputOffset_ = 0;
  }
  if (state_ == State::Draining && queuedBytes() == 0) finish(closeReason_, {}, true);
}

void LinkConnection::close(CloseReason reason) {
  if (state_ == State::Draining || state_ == State::Closed) return;
  if (state_ != State::Open) {
    finish(reason, "closed before the link was open");
    return;
  }
  state_ = State::Draining;
  closeReason_ = reason;
  drainDeadline_ = now() + msToUsec(core_.settings.closeTimeoutMs);
  flush();  // finishes at once when everything fits in the socket
  if (state_ == State::Closed) return;
  rearmTimer();
  updateEvents();
}

void LinkConnection::finish(CloseReason reason, std::string detail, bool notify) {
  if (state_ == State::Closed) return;
  if (notify && ssl_ && (state_ == State::Open || state_ == State::Draining)) {
    SSL_shutdown(ssl_.get());  // best effort, never waits
    ERR_clear_error();
  }
  state_ = State::Closed;
  closeReason_ = reason;
  closeDetail_ = std::move(detail);
  io_ = sd_event_source_disable_unref(io_);
  timer_ = sd_event_source_disable_unref(timer_);
  flush_ = sd_event_source_disable_unref(flush_);
  fd_.reset();  // the peer sees the end now; ssl_ and the input stay until destruction
  output_ = std::string();
  outputOffset_ = 0;
  core_.scheduleReap(*this);
}

}  // namespace sipha::halink
