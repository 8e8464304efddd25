#include "halink/socket_bio.hpp"

#include <sys/socket.h>

#include <cerrno>

namespace sipha::halink {

namespace {

struct SocketState {
  int fd;
  std::uint64_t* sendCalls;
  bool eof = false;
};

SocketState& stateOf(BIO* bio) noexcept { return *static_cast<SocketState*>(BIO_get_data(bio)); }

int writeSocket(BIO* bio, const char* data, std::size_t length, std::size_t* written) {
  SocketState& state = stateOf(bio);
  BIO_clear_retry_flags(bio);
  for (;;) {
    ++*state.sendCalls;
    const ssize_t n = ::send(state.fd, data, length, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) {
      *written = static_cast<std::size_t>(n);
      return 1;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) BIO_set_retry_write(bio);
    return 0;  // errno is left for SSL_ERROR_SYSCALL
  }
}

int readSocket(BIO* bio, char* data, std::size_t length, std::size_t* read) {
  SocketState& state = stateOf(bio);
  BIO_clear_retry_flags(bio);
  for (;;) {
    const ssize_t n = ::recv(state.fd, data, length, MSG_DONTWAIT);
    if (n > 0) {
      *read = static_cast<std::size_t>(n);
      return 1;
    }
    if (n == 0) {
      state.eof = true;  // BIO_eof(): OpenSSL reports an EOF without close_notify
      return 0;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) BIO_set_retry_read(bio);
    return 0;
  }
}

long controlSocket(BIO* bio, int command, long, void* argument) {
  switch (command) {
    case BIO_CTRL_FLUSH:
      return 1;  // nothing is buffered here
    case BIO_CTRL_EOF:
      return stateOf(bio).eof ? 1 : 0;
    case BIO_C_GET_FD:
      if (argument != nullptr) *static_cast<int*>(argument) = stateOf(bio).fd;
      return stateOf(bio).fd;
    default:
      return 0;
  }
}

int destroySocket(BIO* bio) {
  delete static_cast<SocketState*>(BIO_get_data(bio));
  BIO_set_data(bio, nullptr);
  return 1;
}

const BIO_METHOD* socketMethod() {
  static BIO_METHOD* const method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK | BIO_TYPE_DESCRIPTOR,
                                 "halink socket");
    if (m != nullptr) {
      BIO_meth_set_write_ex(m, writeSocket);
      BIO_meth_set_read_ex(m, readSocket);
      BIO_meth_set_ctrl(m, controlSocket);
      BIO_meth_set_destroy(m, destroySocket);
    }
    return m;
  }();
  return method;
}

}  // namespace

BIO* newSocketBio(int fd, std::uint64_t& sendCalls) {
  const BIO_METHOD* method = socketMethod();
  if (method == nullptr) return nullptr;
  BIO* bio = BIO_new(method);
  if (bio == nullptr) return nullptr;
  BIO_set_data(bio, new SocketState{fd, &sendCalls});
  BIO_set_init(bio, 1);
  return bio;
}

}  // namespace sipha::halink
