#pragma once
// An OpenSSL BIO over a connected non-blocking stream socket, like BIO_s_socket() but writing
// with send(MSG_NOSIGNAL) (a reset peer cannot raise SIGPIPE, whatever the process's signal
// disposition) and counting its send() calls. It does not own the descriptor.
#include <openssl/bio.h>

#include <cstdint>

namespace sipha::halink {

// A new BIO (one reference) for `fd`; `sendCalls` is incremented per send() and must outlive it.
// Null when OpenSSL is out of memory.
BIO* newSocketBio(int fd, std::uint64_t& sendCalls);

}  // namespace sipha::halink
