#define BOOST_TEST_MODULE ha_agent_heartbeat
#include <boost/test/unit_test.hpp>
