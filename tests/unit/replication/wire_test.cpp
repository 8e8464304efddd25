// The field codec: little-endian integers, bounded length-prefixed strings, and a reader that
// never reads past its input.
#include <boost/test/unit_test.hpp>
#include <string>

#include "replication/wire.hpp"

namespace sipha::replication::test {
namespace {

BOOST_AUTO_TEST_SUITE(wire)

BOOST_AUTO_TEST_CASE(integers_are_little_endian) {
  std::string out;
  WireWriter w(out);
  w.u8(0x01);
  w.u16(0x0302);
  w.u32(0x07060504);
  w.u64(0x0f0e0d0c0b0a0908ULL);
  w.i64(-2);
  BOOST_TEST(out.size() == 1u + 2 + 4 + 8 + 8);
  for (std::size_t i = 0; i < 15; ++i) {
    BOOST_TEST(static_cast<unsigned char>(out[i]) == i + 1);
  }
  WireReader r(out);
  BOOST_TEST(r.u8() == 0x01);
  BOOST_TEST(r.u16() == 0x0302);
  BOOST_TEST(r.u32() == 0x07060504u);
  BOOST_TEST(r.u64() == 0x0f0e0d0c0b0a0908ULL);
  BOOST_TEST(r.i64() == -2);
  BOOST_TEST(r.done());
}

BOOST_AUTO_TEST_CASE(strings_are_length_prefixed_and_bounded) {
  std::string out;
  WireWriter w(out);
  BOOST_TEST(w.string(std::string("a\0b", 3)));
  BOOST_TEST(out == std::string("\x03\x00\x00\x00"
                                "a\0b",
                                7));
  BOOST_TEST(w.string(std::string(kMaxFieldBytes, 'x')));
  const std::size_t size = out.size();
  BOOST_TEST(!w.string(std::string(kMaxFieldBytes + 1, 'x')));
  BOOST_TEST(out.size() == size);  // nothing written

  WireReader r(out);
  BOOST_TEST(r.string() == std::string_view("a\0b", 3));
  std::string big;
  BOOST_TEST(r.string(big));
  BOOST_TEST(big.size() == kMaxFieldBytes);
  BOOST_TEST(r.done());

  // A length over the limit fails even when the bytes are there.
  std::string over;
  WireWriter(over).u32(static_cast<std::uint32_t>(kMaxFieldBytes + 1));
  over.append(kMaxFieldBytes + 1, 'y');
  WireReader refused(over);
  BOOST_TEST(refused.string().empty());
  BOOST_TEST(refused.failed());
}

BOOST_AUTO_TEST_CASE(short_input_fails_and_stays_failed) {
  const std::string in(
      "\x05\x00\x00\x00"
      "abc",
      7);  // a 5-byte string with 3 bytes
  WireReader r(in);
  BOOST_TEST(r.string().empty());
  BOOST_TEST(r.failed());
  BOOST_TEST(!r.done());
  BOOST_TEST(r.u8() == 0);  // every later read: zero / empty
  BOOST_TEST(r.u64() == 0u);
  BOOST_TEST(r.bytes(0).empty());
  BOOST_TEST(r.failed());

  WireReader shortInt(std::string_view("\x01\x02\x03", 3));
  BOOST_TEST(shortInt.u32() == 0u);
  BOOST_TEST(shortInt.failed());
  BOOST_TEST(shortInt.u8() == 0);  // the three bytes are not read after the failure

  WireReader exact(std::string_view("\x01\x02", 2));
  BOOST_TEST(exact.bytes(2) == std::string_view("\x01\x02", 2));
  BOOST_TEST(exact.done());
  BOOST_TEST(exact.bytes(1).empty());
  BOOST_TEST(exact.failed());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace sipha::replication::test
