#include "common/dbus/bus_error.hpp"

#include <boost/test/unit_test.hpp>

#include "common/ha/role.hpp"

namespace sipha::common::test {

BOOST_AUTO_TEST_SUITE(bus_error)

BOOST_AUTO_TEST_CASE(error_names_follow_the_dbus_rules) {
  BOOST_TEST(isValidErrorName("org.sipha.Error.StaleEpoch"));
  BOOST_TEST(isValidErrorName("a._b9"));
  BOOST_TEST(!isValidErrorName(""));
  BOOST_TEST(!isValidErrorName("Single"));
  BOOST_TEST(!isValidErrorName("org..sipha"));
  BOOST_TEST(!isValidErrorName("org.sipha."));
  BOOST_TEST(!isValidErrorName(".org.sipha"));
  BOOST_TEST(!isValidErrorName("org.9sipha"));
  BOOST_TEST(!isValidErrorName("org.si-pha"));
  BOOST_TEST(!isValidErrorName("org." + std::string(252, 'a')));
  BOOST_TEST(isValidErrorName("org." + std::string(251, 'a')));
}

BOOST_AUTO_TEST_CASE(set_call_error_keeps_valid_names_and_wraps_others) {
  sd_bus_error error = SD_BUS_ERROR_NULL;
  BOOST_TEST(setCallError(&error, CallResult::failure("org.sipha.Error.StaleEpoch", "old")) < 0);
  BOOST_TEST(std::string{error.name} == "org.sipha.Error.StaleEpoch");
  BOOST_TEST(std::string{error.message} == "old");
  sd_bus_error_free(&error);

  BOOST_TEST(setCallError(&error, CallResult::failure("bad name", "why")) < 0);
  BOOST_TEST(std::string{error.name} == SD_BUS_ERROR_FAILED);
  BOOST_TEST(std::string{error.message} == "bad name: why");
  sd_bus_error_free(&error);
}

BOOST_AUTO_TEST_CASE(roles_parse_exactly) {
  BOOST_TEST((parseRole("primary") == Role::Primary));
  BOOST_TEST((parseRole("backup") == Role::Backup));
  BOOST_TEST(!parseRole("Primary").has_value());
  BOOST_TEST(!parseRole("primary ").has_value());
  BOOST_TEST(roleName(Role::Primary) == "primary");
  BOOST_TEST(roleName(Role::Backup) == "backup");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace sipha::common::test
