#pragma once
// What the layer tells the daemon about each incoming message or request to start a transaction.
#include <cstdint>
#include <string_view>

namespace sipha::transaction {

class ServerTransaction;
class ClientTransaction;

enum class RequestDisposition : std::uint8_t {
  NewTransaction,  // a server transaction was created: the TU handles the request and responds
  Retransmission,  // absorbed by its transaction (17.2.1, 17.2.2), last response re-sent if any
  AckAbsorbed,     // ACK for a non-2xx final, consumed by the INVITE server transaction (17.2.1)
  AckForTu,        // ACK for a 2xx (RFC 6026 Accepted, or matching no transaction): TU/dialog's
  Merged,          // 8.2.2.2 merged request: the TU answers 482 (Loop Detected) statelessly
  Overloaded,      // the server table is full: the daemon answers 503 statelessly
  NotCreated,      // it matched no transaction and the caller allowed none to be created (a
                   // switchover drain: docs/replication.md); nothing was done with it
};

struct RequestOutcome {
  RequestDisposition disposition = RequestDisposition::NewTransaction;
  // New/Retransmission/Ack*: the matching transaction; Merged: the ongoing one it collided with.
  ServerTransaction* transaction = nullptr;
  // A new CANCEL transaction: the INVITE server transaction it cancels (9.2), or nullptr (481).
  ServerTransaction* cancelTarget = nullptr;
};

enum class ResponseDisposition : std::uint8_t {
  PassToTu,  // the TU processes the response (transaction set)
  Absorbed,  // a retransmission the client transaction handled itself (17.1.1.2, 17.1.2.2)
  NoMatch,   // no client transaction: stray, the core decides (18.1.2)
  Invalid,   // not a valid status code: dropped and counted
};

struct ResponseOutcome {
  ResponseDisposition disposition = ResponseDisposition::NoMatch;
  ClientTransaction* transaction = nullptr;
};

enum class StartError : std::uint8_t {
  None,
  TableFull,       // maxClientTransactions reached
  DuplicateKey,    // a live client transaction has this branch and method
  InvalidRequest,  // ACK (never a transaction, 17) or an empty branch
  TransportError,  // the first send failed
};

struct ClientStart {
  ClientTransaction* transaction = nullptr;
  StartError error = StartError::None;
};

enum class RespondResult : std::uint8_t {
  Ok,
  InvalidStatus,   // outside 100..699
  InvalidState,    // e.g. a second final response
  TransportError,  // the send failed; the transaction is terminated
};

std::string_view dispositionName(RequestDisposition disposition) noexcept;
std::string_view dispositionName(ResponseDisposition disposition) noexcept;

}  // namespace sipha::transaction
