// X-Sipha-Serving's value (core/serving_header.hpp): the node id as a token, or quoted when it
// is not one, and the epoch.
#include <boost/test/unit_test.hpp>
#include <string_view>

#include "core/serving_header.hpp"

using sipha::core::servingHeaderValue;

BOOST_AUTO_TEST_SUITE(serving_header)

BOOST_AUTO_TEST_CASE(a_token_node_id_is_written_as_is) {
  BOOST_TEST(servingHeaderValue("sipd-a", 1) == "node=sipd-a;epoch=1");
  BOOST_TEST(servingHeaderValue("node.1_x", 18446744073709551615ull) ==
             "node=node.1_x;epoch=18446744073709551615");
}

BOOST_AUTO_TEST_CASE(any_other_node_id_is_a_quoted_string) {
  BOOST_TEST(servingHeaderValue("rack 2;a", 7) == "node=\"rack 2;a\";epoch=7");
  BOOST_TEST(servingHeaderValue("say \"hi\" \\o/", 3) == R"(node="say \"hi\" \\o/";epoch=3)");
  BOOST_TEST(servingHeaderValue(std::string_view{"a\tb\x7f", 4}, 2) == "node=\"ab\";epoch=2");
  BOOST_TEST(servingHeaderValue("", 0) == "node=\"\";epoch=0");
}

BOOST_AUTO_TEST_SUITE_END()
