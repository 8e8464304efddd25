// Parsing of NAPTR and SRV answers in wire format (resolver/dns_answer.hpp), malformed ones
// included: RFC 1035 4.1, RFC 2782, RFC 3403 4.1.
#include <boost/test/unit_test.hpp>

#include "dns_wire.hpp"
#include "resolver/dns_answer.hpp"

namespace sipha::resolver {
namespace {

using test::Bytes;
using test::WireRecord;

Bytes srvAnswer() {
  return test::buildAnswer(7, 0, "_sip._udp.example.com", test::kTypeSrv,
                           {{"_sip._udp.example.com", test::kTypeSrv, 600,
                             test::srvRdata(10, 60, 5060, "gw1.example.com")},
                            {"_sip._udp.example.com", test::kTypeSrv, 120,
                             test::srvRdata(20, 0, 5070, "gw2.example.com")}});
}

Bytes naptrAnswer() {
  return test::buildAnswer(
      9, 0, "example.com", test::kTypeNaptr,
      {{"example.com", test::kTypeNaptr, 300,
        test::naptrRdata(10, 50, "s", "SIP+D2T", "", "_sip._tcp.example.com")},
       {"example.com", test::kTypeNaptr, 200,
        test::naptrRdata(20, 50, "S", "SIPS+D2T", "", "_sips._tcp.example.com")}});
}

}  // namespace

BOOST_AUTO_TEST_SUITE(dns_answer)

BOOST_AUTO_TEST_CASE(srv_records_are_read_with_the_smallest_ttl) {
  const Bytes message = srvAnswer();
  std::vector<SrvRecord> records;
  std::uint32_t ttl = 0;
  BOOST_TEST(static_cast<int>(parseSrvAnswer(message, records, ttl)) ==
             static_cast<int>(ResolveStatus::Ok));
  BOOST_REQUIRE_EQUAL(records.size(), 2u);
  BOOST_TEST(records[0].priority == 10);
  BOOST_TEST(records[0].weight == 60);
  BOOST_TEST(records[0].port == 5060);
  BOOST_TEST(records[0].target == "gw1.example.com");
  BOOST_TEST(records[0].ttl == 600u);
  BOOST_TEST(records[1].target == "gw2.example.com");
  BOOST_TEST(ttl == 120u);
}

BOOST_AUTO_TEST_CASE(naptr_records_are_read) {
  const Bytes message = naptrAnswer();
  std::vector<NaptrRecord> records;
  std::uint32_t ttl = 0;
  BOOST_TEST(static_cast<int>(parseNaptrAnswer(message, records, ttl)) ==
             static_cast<int>(ResolveStatus::Ok));
  BOOST_REQUIRE_EQUAL(records.size(), 2u);
  BOOST_TEST(records[0].order == 10);
  BOOST_TEST(records[0].preference == 50);
  BOOST_TEST(records[0].flags == "s");
  BOOST_TEST(records[0].service == "SIP+D2T");
  BOOST_TEST(records[0].regexp.empty());
  BOOST_TEST(records[0].replacement == "_sip._tcp.example.com");
  BOOST_TEST(records[1].service == "SIPS+D2T");
  BOOST_TEST(ttl == 200u);
}

BOOST_AUTO_TEST_CASE(records_of_other_types_are_skipped) {
  // A CNAME before the SRV (a chain the server followed) and an A record of the wrong type.
  const Bytes message = test::buildAnswer(
      1, 0, "_sip._udp.alias.com", test::kTypeSrv,
      {{"_sip._udp.alias.com", test::kTypeCname, 60, test::encodeName("_sip._udp.real.com")},
       {"_sip._udp.real.com", test::kTypeSrv, 60, test::srvRdata(1, 1, 5060, "gw.real.com")},
       {"gw.real.com", test::kTypeA, 60, test::aRdata("192.0.2.1")}});
  std::vector<SrvRecord> records;
  std::uint32_t ttl = 0;
  BOOST_TEST(static_cast<int>(parseSrvAnswer(message, records, ttl)) ==
             static_cast<int>(ResolveStatus::Ok));
  BOOST_REQUIRE_EQUAL(records.size(), 1u);
  BOOST_TEST(records[0].target == "gw.real.com");
}

BOOST_AUTO_TEST_CASE(rcodes_and_empty_answers) {
  std::vector<SrvRecord> records;
  std::uint32_t ttl = 0;
  const auto status = [&](int rcode, std::vector<WireRecord> answers = {}) {
    const Bytes message = test::buildAnswer(1, rcode, "x.com", test::kTypeSrv, answers);
    return parseSrvAnswer(message, records, ttl);
  };
  BOOST_TEST(static_cast<int>(status(0)) == static_cast<int>(ResolveStatus::NoRecords));
  BOOST_TEST(static_cast<int>(status(3)) == static_cast<int>(ResolveStatus::NxDomain));
  BOOST_TEST(static_cast<int>(status(2)) == static_cast<int>(ResolveStatus::ServerFailure));
  BOOST_TEST(static_cast<int>(status(5)) == static_cast<int>(ResolveStatus::Refused));
  BOOST_TEST(static_cast<int>(status(4)) == static_cast<int>(ResolveStatus::Failure));
  // Only an A record in the answer: no SRV record (NODATA).
  BOOST_TEST(static_cast<int>(status(0, {{"x.com", test::kTypeA, 5, test::aRdata("192.0.2.9")}})) ==
             static_cast<int>(ResolveStatus::NoRecords));
}

BOOST_AUTO_TEST_CASE(every_truncation_is_an_error_never_a_crash) {
  // Cut the answers at every length: each prefix either parses as fewer records or is Malformed
  // (run under ASan/UBSan in the sanitizer build).
  for (const Bytes& whole : {srvAnswer(), naptrAnswer()}) {
    for (std::size_t cut = 0; cut < whole.size(); ++cut) {
      const Bytes prefix(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(cut));
      std::vector<SrvRecord> srv;
      std::vector<NaptrRecord> naptr;
      std::uint32_t ttl = 0;
      const ResolveStatus a = parseSrvAnswer(prefix, srv, ttl);
      const ResolveStatus b = parseNaptrAnswer(prefix, naptr, ttl);
      BOOST_TEST(static_cast<int>(a) != static_cast<int>(ResolveStatus::Ok));
      BOOST_TEST(static_cast<int>(b) != static_cast<int>(ResolveStatus::Ok));
    }
  }
}

BOOST_AUTO_TEST_CASE(rdata_shorter_than_its_fields_is_malformed) {
  // An SRV rdata of 5 bytes: the port is cut; a NAPTR whose string length runs past the rdata.
  Bytes srv = test::buildAnswer(1, 0, "x.com", test::kTypeSrv,
                                {{"x.com", test::kTypeSrv, 60, Bytes{0, 1, 0, 1, 0}}});
  std::vector<SrvRecord> records;
  std::uint32_t ttl = 0;
  BOOST_TEST(static_cast<int>(parseSrvAnswer(srv, records, ttl)) ==
             static_cast<int>(ResolveStatus::Malformed));
  Bytes naptr = test::buildAnswer(1, 0, "x.com", test::kTypeNaptr,
                                  {{"x.com", test::kTypeNaptr, 60, Bytes{0, 1, 0, 1, 40, 's'}}});
  std::vector<NaptrRecord> naptrs;
  BOOST_TEST(static_cast<int>(parseNaptrAnswer(naptr, naptrs, ttl)) ==
             static_cast<int>(ResolveStatus::Malformed));
  // Bytes left over after the target name.
  Bytes extra = test::srvRdata(1, 1, 5060, "gw.x.com");
  extra.push_back(0xff);
  const Bytes trailing =
      test::buildAnswer(1, 0, "x.com", test::kTypeSrv, {{"x.com", test::kTypeSrv, 60, extra}});
  BOOST_TEST(static_cast<int>(parseSrvAnswer(trailing, records, ttl)) ==
             static_cast<int>(ResolveStatus::Malformed));
}

BOOST_AUTO_TEST_CASE(an_rdlength_past_the_message_is_malformed) {
  Bytes message = srvAnswer();
  // The first record's RDLENGTH: after header (12), question, and the record's name/type/class/ttl.
  const std::size_t question = test::encodeName("_sip._udp.example.com").size() + 4;
  const std::size_t rdlength = 12 + question + test::encodeName("_sip._udp.example.com").size() + 8;
  message[rdlength] = 0xff;
  message[rdlength + 1] = 0xff;
  std::vector<SrvRecord> records;
  std::uint32_t ttl = 0;
  BOOST_TEST(static_cast<int>(parseSrvAnswer(message, records, ttl)) ==
             static_cast<int>(ResolveStatus::Malformed));
}

BOOST_AUTO_TEST_CASE(a_compression_loop_in_a_target_is_malformed) {
  // Target = a pointer to itself (offset of the target inside the message).
  Bytes rdata{0, 1, 0, 1, 0x13, 0xc4};
  Bytes message =
      test::buildAnswer(1, 0, "x.com", test::kTypeSrv, {{"x.com", test::kTypeSrv, 60, rdata}});
  const std::size_t target = message.size() - 2;
  message[target] = static_cast<unsigned char>(0xc0 | (target >> 8));
  message[target + 1] = static_cast<unsigned char>(target & 0xff);
  std::vector<SrvRecord> records;
  std::uint32_t ttl = 0;
  BOOST_TEST(static_cast<int>(parseSrvAnswer(message, records, ttl)) ==
             static_cast<int>(ResolveStatus::Malformed));
}

BOOST_AUTO_TEST_CASE(a_compressed_target_pointing_back_is_accepted) {
  // Lenient reading (RFC 2782 forbids compression of the target, servers do it anyway).
  Bytes rdata{0, 1, 0, 1, 0x13, 0xc4, 0xc0, 12};  // -> the question name
  const Bytes message = test::buildAnswer(1, 0, "gw.x.com", test::kTypeSrv,
                                          {{"gw.x.com", test::kTypeSrv, 60, rdata}});
  std::vector<SrvRecord> records;
  std::uint32_t ttl = 0;
  BOOST_TEST(static_cast<int>(parseSrvAnswer(message, records, ttl)) ==
             static_cast<int>(ResolveStatus::Ok));
  BOOST_REQUIRE_EQUAL(records.size(), 1u);
  BOOST_TEST(records[0].target == "gw.x.com");
  BOOST_TEST(records[0].port == 5060);
}

BOOST_AUTO_TEST_CASE(at_most_a_bounded_number_of_records_is_read) {
  std::vector<WireRecord> many;
  for (int i = 0; i < 100; ++i) {
    many.push_back({"x.com", test::kTypeSrv, 60, test::srvRdata(1, 1, 5060, "gw.x.com")});
  }
  const Bytes message = test::buildAnswer(1, 0, "x.com", test::kTypeSrv, many);
  std::vector<SrvRecord> records;
  std::uint32_t ttl = 0;
  BOOST_TEST(static_cast<int>(parseSrvAnswer(message, records, ttl)) ==
             static_cast<int>(ResolveStatus::Ok));
  BOOST_TEST(records.size() == kMaxAnswerRecords);
}

BOOST_AUTO_TEST_CASE(garbage_and_empty_input) {
  std::vector<SrvRecord> records;
  std::uint32_t ttl = 0;
  BOOST_TEST(static_cast<int>(parseSrvAnswer({}, records, ttl)) ==
             static_cast<int>(ResolveStatus::Malformed));
  const Bytes header(12, 0xff);  // counts of 65535 with nothing behind
  BOOST_TEST(static_cast<int>(parseSrvAnswer(header, records, ttl)) ==
             static_cast<int>(ResolveStatus::Malformed));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace sipha::resolver
