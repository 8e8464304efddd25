// Replays tests/data/torture: every valid/ file parses over datagram and stream framing (framed
// as exactly one message by transport's StreamFramer), every invalid/ file gives the outcome
// expected.txt records (the same file drives integration tests).
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "sip/message_builder.hpp"
#include "sip/parser.hpp"
#include "test_messages.hpp"
#include "transport/stream_framer.hpp"

using namespace sipha::sip;
namespace fs = std::filesystem;

namespace {

const fs::path kRoot = fs::path(SIPHA_TEST_DATA_DIR) / "torture";

std::string readFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Expectation {
  bool respond = false;
  int status = 0;
  bool anyTransport = true;
  std::string reason;
};

std::map<std::string, Expectation> readExpected() {
  std::map<std::string, Expectation> out;
  std::ifstream in(kRoot / "expected.txt");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string file, outcome, status, transports;
    Expectation e;
    fields >> file >> outcome >> status >> transports;
    std::getline(fields >> std::ws, e.reason);
    e.respond = outcome == "respond";
    e.status = e.respond ? std::stoi(status) : 0;
    e.anyTransport = transports == "any";
    out[file] = e;
  }
  return out;
}

// What a stream transport does (transport/connection): skip keep-alives, frame one message with
// the daemon's own StreamFramer, parse it. `framed`: the whole file is exactly one message.
ParseResult parseAsStream(const std::string& bytes, bool& framed) {
  using sipha::transport::FrameKind;
  sipha::transport::StreamFramer framer(ParserLimits{}.maxMessageBytes);
  std::string_view rest = bytes;
  for (;;) {
    const auto frame = framer.next(rest);
    if (frame.kind == FrameKind::Ping || frame.kind == FrameKind::Skip) {
      rest.remove_prefix(frame.length);
      continue;
    }
    framed = frame.kind == FrameKind::Message && frame.length == rest.size();
    if (!framed) return {};
    return parseMessage(std::string(rest), {}, Framing::Stream);
  }
}

std::size_t countFiles(const fs::path& dir) {
  std::size_t n = 0;
  for (const auto& entry : fs::directory_iterator(dir)) n += entry.path().extension() == ".sip";
  return n;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(corpus)

BOOST_AUTO_TEST_CASE(valid_messages_parse_on_both_framings) {
  BOOST_TEST(countFiles(kRoot / "valid") >= 25u);
  for (const auto& entry : fs::directory_iterator(kRoot / "valid")) {
    if (entry.path().extension() != ".sip") continue;
    const std::string name = entry.path().filename().string();
    const std::string bytes = readFile(entry.path());
    BOOST_TEST_CONTEXT(name) {
      const auto dgram = parseMessage(std::string(bytes));
      BOOST_TEST(dgram.ok(), reasonPhrase(dgram.error));
      if (!dgram.ok()) continue;
      const Message& m = *dgram.message;
      BOOST_TEST(m.isRequest());
      BOOST_TEST(!m.callId().empty());
      BOOST_TEST(m.contentLength().has_value());
      BOOST_TEST(m.body().size() == m.contentLength().value_or(0));
      // A response to it can be built and parses back.
      const auto response = parseMessage(buildResponse(m, ResponseSpec{.toTag = "x"}));
      BOOST_TEST(response.ok());
      bool framed = false;
      const auto stream = parseAsStream(bytes, framed);
      BOOST_TEST(framed);
      BOOST_TEST(stream.ok(), reasonPhrase(stream.error));
    }
  }
}

BOOST_AUTO_TEST_CASE(invalid_messages_match_expected_outcomes) {
  const auto expected = readExpected();
  BOOST_TEST(countFiles(kRoot / "invalid") >= 25u);
  BOOST_TEST(expected.size() == countFiles(kRoot / "invalid"));
  for (const auto& entry : fs::directory_iterator(kRoot / "invalid")) {
    if (entry.path().extension() != ".sip") continue;
    const std::string name = entry.path().filename().string();
    BOOST_TEST_CONTEXT(name) {
      const auto it = expected.find(name);
      BOOST_REQUIRE(it != expected.end());
      const Expectation& e = it->second;
      const std::string bytes = readFile(entry.path());
      const auto r = parseMessage(std::string(bytes));
      BOOST_TEST(!r.ok());
      BOOST_TEST(std::string(reasonPhrase(r.error)).find(e.reason) != std::string::npos,
                 reasonPhrase(r.error) << " vs " << e.reason);
      BOOST_TEST(r.canRespond == e.respond);
      const auto answer = buildErrorResponse(r);
      BOOST_TEST(answer.has_value() == e.respond);
      if (answer) {
        BOOST_TEST(answer->starts_with("SIP/2.0 " + std::to_string(e.status) + " "));
        BOOST_TEST(parseMessage(std::string(*answer)).ok());
      }
      if (e.anyTransport) {
        bool framed = false;
        const auto s = parseAsStream(bytes, framed);
        BOOST_TEST(framed);
        BOOST_TEST((s.error == r.error));
        BOOST_TEST(s.canRespond == e.respond);
      }
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
