#define BOOST_TEST_MODULE ha_agent_driver
#include <boost/test/unit_test.hpp>
