#pragma once
// A transaction layer on a ManualClock with recording transport and TU, plus message builders.
#include <memory>
#include <ostream>
#include <string>
#include <string_view>

#include "fakes.hpp"
#include "transaction/transaction_layer.hpp"

// Boost.Test prints values of failed checks.
namespace sipha::transaction {
inline std::ostream& operator<<(std::ostream& out, State value) { return out << stateName(value); }
inline std::ostream& operator<<(std::ostream& out, TransactionKind value) {
  return out << kindName(value);
}
inline std::ostream& operator<<(std::ostream& out, RequestDisposition value) {
  return out << dispositionName(value);
}
inline std::ostream& operator<<(std::ostream& out, ResponseDisposition value) {
  return out << dispositionName(value);
}
inline std::ostream& operator<<(std::ostream& out, RespondResult value) {
  return out << "RespondResult(" << static_cast<int>(value) << ")";
}
inline std::ostream& operator<<(std::ostream& out, StartError value) {
  return out << "StartError(" << static_cast<int>(value) << ")";
}
}  // namespace sipha::transaction

namespace sipha::testing {

using sip::Method;
using transport::TransportKind;

inline transaction::IncomingRequest makeRequest(Method method, std::string_view branch,
                                                TransportKind kind = TransportKind::Udp) {
  transaction::IncomingRequest request;
  request.method = method;
  request.branch = branch;
  request.sentBy = "10.0.0.1:5060";
  request.topVia = "SIP/2.0/UDP 10.0.0.1:5060";
  request.requestUri = "sip:bob@example.com";
  request.callId = "call-1@10.0.0.1";
  request.fromTag = "from-1";
  request.cseq = 1;
  request.cseqMethod = method;
  request.source = peer(kind);
  return request;
}

inline transaction::IncomingResponse makeResponse(std::uint16_t status, std::string_view branch,
                                                  Method cseqMethod) {
  transaction::IncomingResponse response;
  response.status = status;
  response.branch = branch;
  response.cseqMethod = cseqMethod;
  return response;
}

struct LayerFixture {
  explicit LayerFixture(transaction::Config config = {})
      : layer(std::make_unique<transaction::TransactionLayer>(wheel, sink, user, config)) {}

  void runTo(std::int64_t millis) { testing::runTo(clock, wheel, at(millis)); }

  transaction::ClientTransaction* startClient(Method method, std::string_view branch,
                                              std::string bytes,
                                              TransportKind kind = TransportKind::Udp) {
    const auto started = layer->startClient(
        transaction::OutgoingRequest{method, branch, peer(kind)}, std::move(bytes));
    return started.transaction;
  }

  transaction::ServerTransaction* newServer(const transaction::IncomingRequest& request) {
    const auto outcome = layer->receiveRequest(request);
    return outcome.disposition == transaction::RequestDisposition::NewTransaction
               ? outcome.transaction
               : nullptr;
  }

  timer::ManualClock clock;
  timer::TimerWheel wheel{clock};
  RecordingSink sink{clock};
  RecordingUser user{clock};
  std::unique_ptr<transaction::TransactionLayer> layer;
};

using Times = std::vector<std::int64_t>;

}  // namespace sipha::testing
