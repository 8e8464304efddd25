#define BOOST_TEST_MODULE netcfg_policy
#include <boost/test/unit_test.hpp>
