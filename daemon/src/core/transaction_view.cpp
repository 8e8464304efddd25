#include "core/transaction_view.hpp"

namespace sipha::core {

transaction::IncomingRequest transactionView(const sip::Message& request,
                                             const transport::Peer& from, std::string_view toTag) {
  transaction::IncomingRequest view;
  view.method = request.method();
  const sip::Via& via = request.topVia();
  view.branch = via.branch;
  // sent-by as written in the Via ("host[:port]"): the part of the value before the params.
  std::string_view sentBy = via.text;
  const auto protocolEnd = sentBy.find_first_of(" \t");
  if (protocolEnd != std::string_view::npos) sentBy.remove_prefix(protocolEnd);
  while (!sentBy.empty() && (sentBy.front() == ' ' || sentBy.front() == '\t')) {
    sentBy.remove_prefix(1);
  }
  sentBy = sentBy.substr(0, sentBy.find(';'));
  while (!sentBy.empty() && (sentBy.back() == ' ' || sentBy.back() == '\t'))
    sentBy.remove_suffix(1);
  view.sentBy = sentBy;
  view.topVia = via.text;
  view.requestUri = request.requestUriText();
  view.callId = request.callId();
  view.fromTag = request.from().tag;
  view.toTag = toTag;
  view.cseq = request.cseq().number;
  view.cseqMethod = request.cseq().method;
  view.source = from;
  return view;
}

transaction::IncomingResponse responseView(const sip::Message& response,
                                           const transport::Peer& from) {
  transaction::IncomingResponse view;
  view.status = response.statusCode();
  view.branch = response.topVia().branch;
  view.cseqMethod = response.cseq().method;
  view.message = &response;
  view.source = from;
  return view;
}

}  // namespace sipha::core
