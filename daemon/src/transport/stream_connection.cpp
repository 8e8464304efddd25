#include "transport/stream_connection.hpp"

#include <openssl/err.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>

#include <algorithm>
#include <cerrno>

namespace sipha::transport {

namespace {

constexpr int kReadsPerWakeup = 16;
constexpr std::size_t kShrinkAbove = 64 * 1024;
constexpr std::uint64_t kNever = UINT64_MAX;

std::uint64_t toUsec(std::chrono::milliseconds value) {
  return static_cast<std::uint64_t>(std::max<std::int64_t>(value.count(), 1)) * 1000;
}

}  // namespace

std::string_view closeReasonName(CloseReason reason) noexcept {
  switch (reason) {
    case CloseReason::PeerClosed:
      return "peer closed";
    case CloseReason::ReadError:
      return "read error";
    case CloseReason::WriteError:
      return "write error";
    case CloseReason::ConnectFailed:
      return "connect failed";
    case CloseReason::TlsFailure:
      return "TLS failure";
    case CloseReason::MissingContentLength:
      return "missing Content-Length";
    case CloseReason::BadFraming:
      return "bad framing";
    case CloseReason::MessageTooLarge:
      return "message too large";
    case CloseReason::InputBufferLimit:
      return "input buffer limit";
    case CloseReason::IdleTimeout:
      return "idle timeout";
    case CloseReason::HandshakeTimeout:
      return "handshake timeout";
    case CloseReason::Local:
      return "closed locally";
  }
  return "closed";
}

StreamConnection::StreamConnection(StreamOwner& owner, UniqueFd fd, const Peer& peer, SslPtr ssl,
                                   bool connecting, bool inbound) noexcept
    : owner_(owner),
      fd_(std::move(fd)),
      peer_(peer),
      ssl_(std::move(ssl)),
      state_(connecting ? State::Connecting : (ssl_ ? State::Handshaking : State::Open)),
      inbound_(inbound),
      framer_(owner.limits().maxMessageSize) {
  if (ssl_) {
    SSL_set_fd(ssl_.get(), fd_.get());
    if (inbound_) {
      SSL_set_accept_state(ssl_.get());
    } else {
      SSL_set_connect_state(ssl_.get());
    }
  }
}

StreamConnection::~StreamConnection() {
  io_ = sd_event_source_disable_unref(io_);
  timer_ = sd_event_source_disable_unref(timer_);
}

std::uint64_t StreamConnection::now() const noexcept {
  std::uint64_t usec = 0;
  sd_event_now(event_, CLOCK_MONOTONIC, &usec);
  return usec;
}

Status StreamConnection::start(sd_event* event) {
  event_ = event;
  createdAt_ = now();
  lastActivity_ = createdAt_;
  events_ = state_ == State::Connecting ? EPOLLOUT : EPOLLIN;
  int r = sd_event_add_io(event, &io_, fd_.get(), events_, &StreamConnection::onIo, this);
  if (r < 0) {
    io_ = nullptr;
    return Status::failure(errnoCode(-r), "sd_event_add_io failed for a connection");
  }
  const std::uint64_t accuracy =
      std::min<std::uint64_t>(toUsec(owner_.limits().idleTimeout) / 10, 1'000'000);
  const std::uint64_t due = deadline();
  r = sd_event_add_time(event, &timer_, CLOCK_MONOTONIC, due == kNever ? 0 : due, accuracy,
                        &StreamConnection::onTimer, this);
  if (r < 0) {
    timer_ = nullptr;
    return Status::failure(errnoCode(-r), "sd_event_add_time failed for a connection");
  }
  if (due == kNever) sd_event_source_set_enabled(timer_, SD_EVENT_OFF);
  return Status::success();
}

std::uint64_t StreamConnection::deadline() const noexcept {
  const TransportLimits& limits = owner_.limits();
  if (state_ == State::Open) {
    if (limits.idleTimeout.count() <= 0) return kNever;  // idle timeout disabled
    return lastActivity_ + toUsec(limits.idleTimeout);
  }
  return createdAt_ + toUsec(limits.handshakeTimeout);
}

int StreamConnection::onTimer(sd_event_source* source, std::uint64_t, void* self) {
  auto* connection = static_cast<StreamConnection*>(self);
  const std::uint64_t due = connection->deadline();
  if (due == kNever) return 0;  // open, and idle connections are allowed
  if (connection->now() >= due) {
    Counters& counters = connection->owner_.mutableCounters();
    if (connection->state_ == State::Open) {
      ++counters.idleTimeouts;
      connection->close(CloseReason::IdleTimeout);
    } else {
      ++counters.handshakeTimeouts;
      connection->close(CloseReason::HandshakeTimeout);
    }
    return 0;
  }
  // Traffic since arming: re-arm lazily instead of on every packet.
  sd_event_source_set_time(source, due);
  sd_event_source_set_enabled(source, SD_EVENT_ONESHOT);
  return 0;
}

int StreamConnection::onIo(sd_event_source*, int, std::uint32_t revents, void* self) {
  auto* connection = static_cast<StreamConnection*>(self);
  if (connection->state_ == State::Connecting) {
    connection->finishConnect();
  } else if (connection->state_ == State::Handshaking) {
    connection->handshake();
  } else if (connection->state_ == State::Open) {
    // SSL_read/SSL_write set it again when they still need the socket writable.
    const bool retryRead = connection->tlsWantsWrite_ && (revents & EPOLLOUT) != 0;
    connection->tlsWantsWrite_ = false;
    if ((revents & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0 || retryRead) {
      connection->readAvailable();
    }
    if (connection->state_ == State::Open && connection->pendingOutput() > 0) connection->flush();
  }
  if (connection->state_ != State::Closed) connection->updateEvents();
  return 0;
}

void StreamConnection::finishConnect() noexcept {
  int error = 0;
  socklen_t length = sizeof(error);
  if (::getsockopt(fd_.get(), SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
  if (error != 0) {
    ++owner_.mutableCounters().connectFailures;
    close(CloseReason::ConnectFailed, errnoCode(error));
    return;
  }
  touch();
  if (ssl_) {
    state_ = State::Handshaking;
    handshake();
  } else {
    state_ = State::Open;
    flush();
  }
}

void StreamConnection::handshake() noexcept {
  ERR_clear_error();
  const int r = SSL_do_handshake(ssl_.get());
  if (r == 1) {
    state_ = State::Open;
    tlsWantsWrite_ = false;
    touch();
    flush();
    // Application data may have arrived with the last handshake flight.
    if (state_ == State::Open) readAvailable();
    return;
  }
  const int error = SSL_get_error(ssl_.get(), r);
  if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
    tlsWantsWrite_ = error == SSL_ERROR_WANT_WRITE;
    return;
  }
  ++owner_.mutableCounters().tlsHandshakeFailures;
  ERR_clear_error();
  close(CloseReason::TlsFailure, errnoCode(ECONNABORTED));
}

void StreamConnection::readAvailable() noexcept {
  const std::span<char> scratch = owner_.scratch();
  for (int i = 0; state_ == State::Open; ++i) {
    if (i >= kReadsPerWakeup && !(ssl_ && SSL_pending(ssl_.get()) > 0)) break;
    const std::size_t limit = owner_.limits().maxInputBuffer;
    if (input_.size() >= limit) {
      ++owner_.mutableCounters().inputBufferLimitHits;
      close(CloseReason::InputBufferLimit);
      return;
    }
    const std::size_t want = std::min(scratch.size(), limit - input_.size());
    long got = 0;
    if (ssl_) {
      ERR_clear_error();
      const int r = SSL_read(ssl_.get(), scratch.data(), static_cast<int>(want));
      if (r > 0) {
        got = r;
      } else {
        const int error = SSL_get_error(ssl_.get(), r);
        if (error == SSL_ERROR_WANT_READ) return;
        if (error == SSL_ERROR_WANT_WRITE) {
          tlsWantsWrite_ = true;
          return;
        }
        ERR_clear_error();
        if (error == SSL_ERROR_ZERO_RETURN) {
          close(CloseReason::PeerClosed);
        } else if (error == SSL_ERROR_SSL) {
          // A TLS alert or a protocol error (a refused client certificate shows up here).
          ++owner_.mutableCounters().tlsErrors;
          close(CloseReason::TlsFailure, errnoCode(EPROTO));
        } else {
          ++owner_.mutableCounters().receiveErrors;
          close(CloseReason::ReadError,
                errnoCode(error == SSL_ERROR_SYSCALL ? ECONNRESET : EPROTO));
        }
        return;
      }
    } else {
      const ssize_t r = ::recv(fd_.get(), scratch.data(), want, MSG_DONTWAIT);
      if (r == 0) {
        close(CloseReason::PeerClosed);
        return;
      }
      if (r < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        const int error = errno;
        ++owner_.mutableCounters().receiveErrors;
        close(CloseReason::ReadError, errnoCode(error));
        return;
      }
      got = r;
    }
    owner_.mutableCounters().of(peer_.kind).bytesIn += static_cast<std::uint64_t>(got);
    touch();
    consume(std::string_view(scratch.data(), static_cast<std::size_t>(got)));
  }
}

void StreamConnection::consume(std::string_view chunk) noexcept {
  framer_.setMaxMessageSize(owner_.limits().maxMessageSize);
  if (input_.empty()) {
    // Common case: whole messages in one read are delivered straight from the read buffer.
    const std::size_t used = deliverFrames(chunk);
    if (state_ == State::Open) input_.assign(chunk.substr(used));
    return;
  }
  input_.append(chunk);
  const std::size_t used = deliverFrames(input_);
  if (state_ != State::Open) return;
  input_.erase(0, used);
  if (input_.empty() && input_.capacity() > kShrinkAbove) input_.shrink_to_fit();
}

std::size_t StreamConnection::deliverFrames(std::string_view buffer) noexcept {
  Counters& counters = owner_.mutableCounters();
  std::size_t offset = 0;
  while (state_ == State::Open && offset < buffer.size()) {
    const Frame frame = framer_.next(buffer.substr(offset));
    switch (frame.kind) {
      case FrameKind::NeedMore:
        return offset;
      case FrameKind::Skip:
        offset += frame.length;
        break;
      case FrameKind::Ping:
        // RFC 5626 section 4.4.1: answer a CRLFCRLF ping with a CRLF pong.
        offset += frame.length;
        ++counters.keepAlivePings;
        (void)send("\r\n");
        break;
      case FrameKind::Message: {
        KindCounters& kind = counters.of(peer_.kind);
        ++kind.messagesIn;
        std::string message(buffer.substr(offset, frame.length));
        offset += frame.length;
        owner_.streamMessage(*this, std::move(message));
        break;
      }
      case FrameKind::Error:
        if (frame.error == FrameError::MissingContentLength) {
          ++counters.missingContentLength;
          close(CloseReason::MissingContentLength, errnoCode(EPROTO));
        } else if (frame.error == FrameError::TooLarge) {
          ++counters.oversizedMessages;
          close(CloseReason::MessageTooLarge, errnoCode(EMSGSIZE));
        } else {
          ++counters.framingErrors;
          close(CloseReason::BadFraming, errnoCode(EPROTO));
        }
        return offset;
    }
  }
  return offset;
}

std::error_code StreamConnection::send(std::string_view bytes) noexcept {
  KindCounters& kind = owner_.mutableCounters().of(peer_.kind);
  if (state_ == State::Closed) {
    ++kind.sendErrors;
    return errnoCode(ENOTCONN);
  }
  if (pendingOutput() + bytes.size() > owner_.limits().maxOutputBuffer) {
    ++kind.sendErrors;
    ++owner_.mutableCounters().outputBufferLimitHits;
    return errnoCode(ENOBUFS);
  }
  const bool message = bytes != "\r\n";
  if (state_ == State::Open && pendingOutput() == 0) {
    const long written = writeSome(bytes);
    if (written < 0) return errnoCode(EPIPE);
    bytes.remove_prefix(static_cast<std::size_t>(written));
  }
  if (!bytes.empty()) {
    output_.append(bytes);
    updateEvents();
  }
  if (message) ++kind.messagesOut;
  return {};
}

void StreamConnection::flush() noexcept {
  while (state_ == State::Open && pendingOutput() > 0) {
    const long written =
        writeSome(std::string_view(output_).substr(outputOffset_, pendingOutput()));
    if (written <= 0) break;
    outputOffset_ += static_cast<std::size_t>(written);
  }
  if (state_ == State::Closed) return;
  if (outputOffset_ == output_.size()) {
    output_.clear();
    outputOffset_ = 0;
    if (output_.capacity() > kShrinkAbove) output_.shrink_to_fit();
  } else if (outputOffset_ > output_.size() / 2) {
    output_.erase(0, outputOffset_);
    outputOffset_ = 0;
  }
}

long StreamConnection::writeSome(std::string_view bytes) noexcept {
  KindCounters& kind = owner_.mutableCounters().of(peer_.kind);
  std::size_t total = 0;
  while (total < bytes.size()) {
    const std::string_view rest = bytes.substr(total);
    if (ssl_) {
      ERR_clear_error();
      const int r = SSL_write(ssl_.get(), rest.data(),
                              static_cast<int>(std::min<std::size_t>(rest.size(), 1 << 30)));
      if (r > 0) {
        total += static_cast<std::size_t>(r);
        continue;
      }
      const int error = SSL_get_error(ssl_.get(), r);
      if (error == SSL_ERROR_WANT_WRITE || error == SSL_ERROR_WANT_READ) {
        tlsWantsWrite_ = error == SSL_ERROR_WANT_WRITE;
        break;
      }
      ERR_clear_error();
      ++kind.sendErrors;
      close(CloseReason::WriteError, errnoCode(EPIPE));
      return -1;
    }
    const ssize_t r = ::send(fd_.get(), rest.data(), rest.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (r >= 0) {
      total += static_cast<std::size_t>(r);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    const int error = errno;
    ++kind.sendErrors;
    close(CloseReason::WriteError, errnoCode(error));
    return -1;
  }
  kind.bytesOut += total;
  if (total > 0) touch();
  return static_cast<long>(total);
}

void StreamConnection::updateEvents() noexcept {
  if (io_ == nullptr || state_ == State::Closed) return;
  std::uint32_t events = EPOLLIN;
  if (state_ == State::Connecting) {
    events = EPOLLOUT;
  } else if (state_ == State::Handshaking) {
    if (tlsWantsWrite_) events |= EPOLLOUT;
  } else if (pendingOutput() > 0 || tlsWantsWrite_) {
    events |= EPOLLOUT;
  }
  if (events != events_) {
    events_ = events;
    sd_event_source_set_io_events(io_, events);
  }
}

void StreamConnection::close(CloseReason reason, std::error_code error) noexcept {
  if (state_ == State::Closed) return;
  const bool wasOpen = state_ == State::Open;
  state_ = State::Closed;
  io_ = sd_event_source_disable_unref(io_);
  timer_ = sd_event_source_disable_unref(timer_);
  if (ssl_ && wasOpen &&
      (reason == CloseReason::Local || reason == CloseReason::IdleTimeout ||
       reason == CloseReason::MessageTooLarge || reason == CloseReason::MissingContentLength ||
       reason == CloseReason::BadFraming || reason == CloseReason::InputBufferLimit)) {
    SSL_shutdown(ssl_.get());  // best effort close_notify, never waits
    ERR_clear_error();
  }
  fd_.reset();
  ++owner_.mutableCounters().connectionsClosed;
  owner_.streamClosed(*this, reason, error);
}

}  // namespace sipha::transport
