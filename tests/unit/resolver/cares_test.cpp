// Real resolution through c-ares on a real sd-event loop: /etc/hosts (localhost), and RFC 3263
// end to end against a small DNS server the test runs on 127.0.0.1 (real UDP datagrams, the
// server answers from its zone, drops or garbles on request). The host's resolver is never used:
// every test points c-ares at its own server.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <map>
#include <memory>
#include <set>

#include "dns_wire.hpp"
#include "fake_backend.hpp"
#include "resolver/cares_backend.hpp"
#include "resolver/resolver.hpp"
#include "transport/peer_format.hpp"

namespace sipha::resolver {
namespace {

using test::Bytes;
using test::WireRecord;
using Strings = std::vector<std::string>;

// An authoritative-looking UDP DNS server on 127.0.0.1, driven by the same sd-event loop.
class TestDnsServer {
 public:
  explicit TestDnsServer(sd_event* event) {
    fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    BOOST_REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    socklen_t length = sizeof address;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    BOOST_REQUIRE(sd_event_add_io(event, &source_, fd_, EPOLLIN, &TestDnsServer::onIo, this) >= 0);
  }
  ~TestDnsServer() {
    sd_event_source_disable_unref(source_);
    close(fd_);
  }

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  void add(WireRecord record) {
    names_.insert(record.name);
    zone_[{record.name, record.type}].push_back(std::move(record));
  }
  void drop(const std::string& name) { dropped_.insert(name); }
  void garble(const std::string& name) { garbled_.insert(name); }
  int queries(const std::string& name, std::uint16_t type) const {
    const auto found = log_.find({name, type});
    return found == log_.end() ? 0 : found->second;
  }
  int total() const {
    int n = 0;
    for (const auto& [key, count] : log_) n += count;
    return n;
  }

 private:
  static int onIo(sd_event_source*, int fd, std::uint32_t, void* userdata) {
    auto& self = *static_cast<TestDnsServer*>(userdata);
    unsigned char buffer[1500];
    sockaddr_storage from{};
    socklen_t fromLength = sizeof from;
    const ssize_t n =
        recvfrom(fd, buffer, sizeof buffer, 0, reinterpret_cast<sockaddr*>(&from), &fromLength);
    if (n <= 0) return 0;
    std::uint16_t id = 0;
    std::uint16_t type = 0;
    std::string name;
    if (!test::parseQuestion({buffer, static_cast<std::size_t>(n)}, id, name, type)) return 0;
    ++self.log_[{name, type}];
    if (self.dropped_.count(name) != 0) return 0;
    Bytes answer;
    if (const auto found = self.zone_.find({name, type}); found != self.zone_.end()) {
      answer = test::buildAnswer(id, 0, name, type, found->second);
    } else {
      answer = test::buildAnswer(id, self.names_.count(name) != 0 ? 0 : 3, name, type, {});
    }
    if (self.garbled_.count(name) != 0 && answer.size() > 4) answer.resize(answer.size() - 3);
    sendto(fd, answer.data(), answer.size(), 0, reinterpret_cast<sockaddr*>(&from), fromLength);
    return 0;
  }

  int fd_ = -1;
  std::uint16_t port_ = 0;
  sd_event_source* source_ = nullptr;
  std::map<std::pair<std::string, std::uint16_t>, std::vector<WireRecord>> zone_;
  std::set<std::string> names_;
  std::set<std::string> dropped_;
  std::set<std::string> garbled_;
  std::map<std::pair<std::string, std::uint16_t>, int> log_;
};

struct Fixture {
  Fixture() {
    sd_event_new(&event);
    server = std::make_unique<TestDnsServer>(event);
    ResolverSettings settings;
    settings.servers = server->address();
    settings.timeoutMs = 300;
    settings.tries = 1;
    std::string error;
    resolver = makeResolver(event, clock, settings, error);
    BOOST_REQUIRE(error.empty());
  }
  ~Fixture() {
    resolver.reset();
    server.reset();
    sd_event_unref(event);
  }

  // Resolves `uri` and runs the loop (bounded: 10 s) until the answer.
  ResolveResult resolve(std::string_view uri) {
    NextHopQuery query;
    BOOST_REQUIRE(queryFromUri(uri, query));
    ResolveResult result;
    bool done = false;
    resolver->resolve(query, [&](const ResolveResult& r) {
      result = r;
      done = true;
    });
    test::runUntil(
        event, [&] { return done; }, 200, 50000);
    BOOST_REQUIRE(done);
    return result;
  }

  sd_event* event = nullptr;
  timer::MonotonicClock clock;
  std::unique_ptr<TestDnsServer> server;
  std::unique_ptr<Resolver> resolver;
};

Strings peers(const ResolveResult& r) {
  Strings out;
  for (const auto& p : r.peers) out.push_back(transport::formatPeer(p));
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cares)

BOOST_AUTO_TEST_CASE(localhost_from_etc_hosts) {
  Fixture f;
  const ResolveResult result = f.resolve("sip:localhost:5070;transport=tcp");
  BOOST_TEST_MESSAGE(result.describe());
  BOOST_REQUIRE(result.ok());
  const Strings got = peers(result);
  BOOST_TEST((got.front() == "tcp:127.0.0.1:5070" || got.front() == "tcp:[::1]:5070"));
  BOOST_TEST(f.server->total() == 0);  // /etc/hosts answered, no DNS query
}

BOOST_AUTO_TEST_CASE(rfc3263_naptr_srv_a_end_to_end) {
  Fixture f;
  TestDnsServer& dns = *f.server;
  dns.add({"sipha.test", test::kTypeNaptr, 300,
           test::naptrRdata(10, 10, "s", "SIP+D2T", "", "_sip._tcp.sipha.test")});
  dns.add({"sipha.test", test::kTypeNaptr, 300,
           test::naptrRdata(20, 10, "s", "SIP+D2U", "", "_sip._udp.sipha.test")});
  dns.add({"sipha.test", test::kTypeNaptr, 300,
           test::naptrRdata(5, 10, "s", "SIP+D2S", "", "_sip._sctp.sipha.test")});
  dns.add(
      {"_sip._tcp.sipha.test", test::kTypeSrv, 300, test::srvRdata(20, 0, 5071, "gw2.sipha.test")});
  dns.add(
      {"_sip._tcp.sipha.test", test::kTypeSrv, 300, test::srvRdata(10, 0, 5070, "gw1.sipha.test")});
  dns.add(
      {"_sip._udp.sipha.test", test::kTypeSrv, 300, test::srvRdata(10, 0, 5080, "gw1.sipha.test")});
  dns.add({"gw1.sipha.test", test::kTypeA, 300, test::aRdata("127.0.0.11")});
  dns.add({"gw2.sipha.test", test::kTypeA, 300, test::aRdata("127.0.0.12")});
  dns.add({"gw2.sipha.test", test::kTypeAaaa, 300, test::aaaaRdata("::1")});

  const ResolveResult result = f.resolve("sip:+4930123@sipha.test");
  BOOST_TEST_MESSAGE(result.describe());
  BOOST_REQUIRE(result.ok());
  BOOST_TEST(peers(result) == (Strings{"tcp:127.0.0.11:5070", "tcp:127.0.0.12:5071",
                                       "tcp:[::1]:5071", "udp:127.0.0.11:5080"}),
             boost::test_tools::per_element());
  BOOST_TEST(dns.queries("sipha.test", test::kTypeNaptr) == 1);
  BOOST_TEST(dns.queries("_sip._sctp.sipha.test", test::kTypeSrv) == 0);
  BOOST_TEST(dns.queries("gw1.sipha.test", test::kTypeA) == 1);  // one lookup for both SRVs

  // The next call toward the same URI is answered from the cache: no datagram.
  const int before = dns.total();
  const ResolveResult again = f.resolve("sip:+4930999@SIPHA.test");
  BOOST_TEST(peers(again) == peers(result), boost::test_tools::per_element());
  BOOST_TEST(dns.total() == before);
}

BOOST_AUTO_TEST_CASE(transport_parameter_without_srv_falls_back_to_a) {
  Fixture f;
  f.server->add({"nosrv.sipha.test", test::kTypeA, 60, test::aRdata("127.0.0.13")});
  const ResolveResult result = f.resolve("sip:nosrv.sipha.test;transport=tcp");
  BOOST_TEST_MESSAGE(result.describe());
  BOOST_TEST(peers(result) == (Strings{"tcp:127.0.0.13:5060"}), boost::test_tools::per_element());
  BOOST_TEST(f.server->queries("_sip._tcp.nosrv.sipha.test", test::kTypeSrv) == 1);
}

BOOST_AUTO_TEST_CASE(an_unknown_name_is_nxdomain_with_its_name) {
  Fixture f;
  const ResolveResult result = f.resolve("sip:missing.sipha.test:5060");
  BOOST_TEST_MESSAGE(result.describe());
  BOOST_TEST(static_cast<int>(result.status) == static_cast<int>(ResolveStatus::NxDomain));
  BOOST_TEST(result.describe().find("missing.sipha.test") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_silent_server_is_a_timeout) {
  Fixture f;
  f.server->drop("slow.sipha.test");
  const ResolveResult result = f.resolve("sip:slow.sipha.test:5060");
  BOOST_TEST_MESSAGE(result.describe());
  BOOST_TEST(static_cast<int>(result.status) == static_cast<int>(ResolveStatus::Timeout));
}

BOOST_AUTO_TEST_CASE(a_garbled_srv_answer_is_an_error_not_a_crash) {
  Fixture f;
  f.server->add({"_sip._udp.bad.sipha.test", test::kTypeSrv, 60,
                 test::srvRdata(1, 1, 5060, "gw.bad.sipha.test")});
  f.server->garble("_sip._udp.bad.sipha.test");
  const ResolveResult result = f.resolve("sip:bad.sipha.test;transport=udp");
  BOOST_TEST_MESSAGE(result.describe());
  BOOST_TEST(!result.ok());
  BOOST_TEST(static_cast<int>(result.status) == static_cast<int>(ResolveStatus::Malformed));
}

BOOST_AUTO_TEST_CASE(bad_server_lists_are_refused) {
  sd_event* event = nullptr;
  sd_event_new(&event);
  CaresOptions options;
  options.servers = "not an address";
  std::string error;
  BOOST_TEST(CaresBackend::create(event, options, error) == nullptr);
  BOOST_TEST(!error.empty());
  sd_event_unref(event);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace sipha::resolver
