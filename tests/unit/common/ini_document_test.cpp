#define BOOST_TEST_MODULE common
#include <boost/test/unit_test.hpp>

#include "common/config/ini_document.hpp"

using sipha::common::ConfigError;
using sipha::common::parseIni;

BOOST_AUTO_TEST_SUITE(ini_document)

BOOST_AUTO_TEST_CASE(sections_entries_and_line_numbers) {
  std::vector<ConfigError> errors;
  const auto document = parseIni(
      "; comment\n[TServer]\nsip-port = 5060 ; trailing\n\n[dn:gw]\ncontact = "
      "sip:a@b;transport=tcp\n",
      "f.ini", errors);
  BOOST_TEST(errors.empty());
  BOOST_REQUIRE_EQUAL(document.sections.size(), 2u);
  BOOST_TEST(document.sections[0].name == "TServer");
  BOOST_TEST(document.sections[0].line == 2);
  BOOST_TEST(document.sections[0].entries[0].value == "5060");
  BOOST_TEST(document.sections[0].entries[0].line == 3);
  BOOST_TEST(document.sections[1].entries[0].value == "sip:a@b;transport=tcp");
}

BOOST_AUTO_TEST_CASE(empty_value_is_kept) {
  std::vector<ConfigError> errors;
  const auto document = parseIni("[dn:gw1]\nreplace-prefix =\n", "f.ini", errors);
  BOOST_TEST(errors.empty());
  BOOST_TEST(document.sections[0].entries[0].key == "replace-prefix");
  BOOST_TEST(document.sections[0].entries[0].value.empty());
}

BOOST_AUTO_TEST_CASE(syntax_errors_name_the_line) {
  std::vector<ConfigError> errors;
  parseIni("orphan = 1\n[TServer\n[TServer]\nno equals here\n[TServer]\n", "f.ini", errors);
  BOOST_REQUIRE_EQUAL(errors.size(), 4u);
  BOOST_TEST(errors[0].line == 1);
  BOOST_TEST(errors[1].line == 2);
  BOOST_TEST(errors[2].line == 4);
  BOOST_TEST(errors[3].line == 5);
  BOOST_TEST(errors[3].reason == "section appears twice");
}

BOOST_AUTO_TEST_CASE(duplicate_option_is_refused) {
  std::vector<ConfigError> errors;
  parseIni("[TServer]\nsip-port = 1\nsip-port = 2\n", "f.ini", errors);
  BOOST_REQUIRE_EQUAL(errors.size(), 1u);
  BOOST_TEST(errors[0].toString() ==
             "f.ini:3: option 'TServer.sip-port': option set twice in the section");
}

BOOST_AUTO_TEST_SUITE_END()
