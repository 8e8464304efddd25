#pragma once
// One HA link connection (internal): non-blocking connect, the TLS 1.3 handshake and the
// client's wait for the server's acceptance, frame delivery from the FrameBuffer, the output
// buffer flushed by a defer source, one lazily re-armed deadline, and a graceful close.
#include <sys/socket.h>
#include <systemd/sd-event.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "halink/frame_buffer.hpp"
#include "halink/link.hpp"
#include "halink/tls.hpp"
#include "transport/socket.hpp"

namespace sipha::halink {

class LinkCore;

class LinkConnection final : public Connection {
 public:
  // Connecting (outbound TCP) -> Handshaking -> [Confirming: client, until the server's ticket or
  // data shows it accepted our certificate] -> Open -> [Draining: close() with output queued] ->
  // Closed (linkClosed pending).
  enum class State : std::uint8_t { Connecting, Handshaking, Confirming, Open, Draining, Closed };

  LinkConnection(LinkCore& core, std::uint64_t id, bool inbound, transport::UniqueFd fd,
                 const sockaddr_storage& peer, socklen_t peerLength);
  ~LinkConnection();
  LinkConnection(const LinkConnection&) = delete;
  LinkConnection& operator=(const LinkConnection&) = delete;

  // Creates the TLS state and the event sources; `connecting`: an outbound connect in progress.
  // A failure closes the connection (reported like any other close).
  void start(bool connecting);
  // Closes a connection that never started (a connect that failed at once).
  void fail(CloseReason reason, std::string detail);

  bool send(std::string_view frame) override;
  std::size_t queuedBytes() const override { return output_.size() - outputOffset_; }
  void close(CloseReason reason) override;
  bool inbound() const override { return inbound_; }
  bool opened() const override { return opened_; }
  const std::string& peerAddress() const override { return peerAddress_; }
  const std::string& peerCommonName() const override { return peerCommonName_; }
  std::uint64_t id() const override { return id_; }

  State state() const noexcept { return state_; }
  CloseReason closeReason() const noexcept { return closeReason_; }
  const std::string& closeDetail() const noexcept { return closeDetail_; }

 private:
  static int onIo(sd_event_source* source, int fd, std::uint32_t revents, void* self);
  static int onTimer(sd_event_source* source, std::uint64_t usec, void* self);
  static int onFlush(sd_event_source* source, void* self);

  void finishConnect();
  void handshake();
  void failHandshake(int sslError);
  void becomeOpen();
  void readAvailable();
  void readFailed(int sslError, int savedErrno);
  void deliverFrames();
  void flush();
  void scheduleFlush();
  void updateEvents();
  void rearmTimer();
  std::uint64_t deadline() const noexcept;
  std::uint64_t now() const noexcept;
  // Closed from here on; `notify` sends a best-effort close_notify first.
  void finish(CloseReason reason, std::string detail, bool notify = false);

  LinkCore& core_;
  const std::uint64_t id_;
  const bool inbound_;
  State state_ = State::Closed;
  bool opened_ = false;
  bool confirmed_ = false;       // the server's ticket arrived (set from inside SSL_read)
  bool tlsWantsWrite_ = false;   // SSL_do_handshake/SSL_read wait for EPOLLOUT
  bool writeBlocked_ = false;    // SSL_write waits for EPOLLOUT
  bool flushScheduled_ = false;  // flush_ is armed
  CloseReason closeReason_ = CloseReason::Local;
  std::string closeDetail_;
  std::string peerAddress_;
  std::string peerCommonName_;
  std::shared_ptr<const TlsContexts> tls_;  // outlives ssl_ (the verify callback points into it)
  transport::UniqueFd fd_;
  transport::SslPtr ssl_;
  sd_event_source* io_ = nullptr;
  sd_event_source* timer_ = nullptr;
  sd_event_source* flush_ = nullptr;
  std::uint32_t events_ = 0;
  std::uint64_t startedAt_ = 0;
  std::uint64_t lastReceived_ = 0;
  std::uint64_t drainDeadline_ = 0;
  FrameBuffer input_;
  std::string output_;  // queued frames from outputOffset_
  std::size_t outputOffset_ = 0;
};

}  // namespace sipha::halink
