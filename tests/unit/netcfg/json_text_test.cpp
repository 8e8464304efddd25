// The Status() JSON text: strings escaped per RFC 8259 section 7.
#include "service/json_text.hpp"

#include <boost/test/unit_test.hpp>

namespace sipha::netcfg::service {

BOOST_AUTO_TEST_SUITE(json_text)

BOOST_AUTO_TEST_CASE(escapes) {
  BOOST_TEST(jsonString("eth0") == "\"eth0\"");
  BOOST_TEST(jsonString("a\"b\\c") == "\"a\\\"b\\\\c\"");
  BOOST_TEST(jsonString("line\nnext\t") == "\"line\\nnext\\t\"");
  BOOST_TEST(jsonString(std::string_view{"\x01", 1}) == "\"\\u0001\"");
  BOOST_TEST(jsonStringArray({}) == "[]");
  BOOST_TEST(jsonStringArray({"a", "b"}) == "[\"a\",\"b\"]");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace sipha::netcfg::service
