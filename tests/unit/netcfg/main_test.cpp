#define BOOST_TEST_MODULE netcfg
#include <boost/test/unit_test.hpp>
