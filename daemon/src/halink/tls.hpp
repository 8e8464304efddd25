#pragma once
// The HA link's OpenSSL contexts: TLS 1.3 only, a certificate required from the peer both ways,
// trusted when it chains to the pair's CA and/or equals the pinned certificate (no host name
// check: pair nodes are identified by their certificate). Built once per configure(); each
// connection keeps the TlsContexts it was created with (the verify callback points into it).
#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "halink/link.hpp"
#include "transport/tls_context.hpp"

namespace sipha::halink {

struct TlsContexts {
  transport::SslCtxPtr server;
  transport::SslCtxPtr client;
  std::string pinnedDer;  // the pinned peer certificate, DER; empty = no pin
  bool verifyChain = false;
};

// Loads the files; false with a sentence naming the file and the problem.
bool buildTlsContexts(const LinkSettings& settings, std::shared_ptr<const TlsContexts>& out,
                      std::string& error);

// A new SSL for one connection (accept or connect state). `confirmed` is set to true when the
// server's NewSessionTicket arrives on a client connection: in TLS 1.3 the server sends it only
// after it verified the client's certificate, so it confirms that the peer accepted us.
transport::SslPtr newConnectionSsl(const TlsContexts& contexts, bool inbound, BIO* bio,
                                   bool& confirmed);

// Why a handshake failed, for linkClosed; `refusedByUs` tells whether this node refused the
// peer's certificate. Clears the OpenSSL error queue.
std::string describeHandshakeFailure(SSL* ssl, int sslError, bool pinned, bool& refusedByUs);

// The peer certificate's subject CN (UTF-8), or "".
std::string peerCommonName(SSL* ssl);

}  // namespace sipha::halink
