// libFuzzer entry: the parser, the lazy accessors, URI / name-addr / Via parsing, the builder and
// the stream path (transport framer + stream parsing) must accept any byte sequence without
// crashing, hanging or reading out of bounds.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "sip/message_builder.hpp"
#include "sip/parser.hpp"
#include "transport/stream_framer.hpp"

namespace {

using namespace sipha::sip;

std::size_t exercise(const Message& m) {
  std::size_t n = m.body().size() + m.expires().value_or(0) + m.minExpires().value_or(0);
  for (const HeaderId id : {HeaderId::Contact, HeaderId::Route, HeaderId::RecordRoute,
                            HeaderId::Allow, HeaderId::Supported, HeaderId::Via}) {
    for (const auto value : m.values(id)) {
      NameAddr addr;
      if (parseNameAddr(value, addr)) {
        n += addr.q().value_or(0) + addr.expires().value_or(0);
        Uri uri;
        if (addr.parsedUri(uri)) {
          n += uri.paramList().has("lr");
          std::array<char, 64> buf;
          n += unescape(uri.user, buf).value.size();
          n += uriEquals(uri, m.requestUri());
        }
      }
      Via via;
      n += parseVia(value, via);
    }
  }
  n += m.header("X-Unknown").size();
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  volatile std::size_t sink = 0;
  for (const Framing framing : {Framing::Datagram, Framing::Stream}) {
    auto result = parseMessage(std::string(input), ParserLimits{}, framing);
    if (result.ok()) {
      sink = sink + exercise(*result.message);
      const HeaderLine extra[] = {{"Server", "fuzz"}};
      ResponseSpec spec;
      spec.toTag = "t";
      spec.headers = extra;
      spec.viaReceived = "192.0.2.1";
      spec.viaRport = 5060;
      const std::string response = buildResponse(*result.message, spec);
      // Our own output must parse back (it may carry a few more header lines than the request).
      ParserLimits relaxed;
      relaxed.maxHeaders = 1024;
      relaxed.maxMessageBytes = 1 << 20;
      if (!parseMessage(std::string(response), relaxed).ok()) __builtin_trap();
    } else if (const auto answer = buildErrorResponse(result)) {
      ParserLimits relaxed;
      relaxed.maxHeaders = 1024;
      relaxed.maxMessageBytes = 1 << 20;
      const auto back = parseMessage(std::string(*answer), relaxed);
      // The peer must be able to read our 400: its dialog headers were read by the parser.
      if (back.error != ParseError::None && back.error != ParseError::MalformedVia)
        __builtin_trap();
      sink = sink + answer->size();
    }
  }
  // What a TCP/TLS connection does with the same bytes: transport's framer delimits the first
  // message, which then goes to the parser with stream framing (stream_framer_fuzz goes further).
  sipha::transport::StreamFramer framer(ParserLimits{}.maxMessageBytes);
  const auto frame = framer.next(input);
  if (frame.kind == sipha::transport::FrameKind::Message) {
    if (frame.length > input.size()) __builtin_trap();
    const auto framed =
        parseMessage(std::string(input.substr(0, frame.length)), ParserLimits{}, Framing::Stream);
    sink = sink + framed.ok();
  }
  (void)sink;
  return 0;
}
