#define BOOST_TEST_MODULE ha_agent
#include <boost/test/unit_test.hpp>
