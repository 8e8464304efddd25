#define BOOST_TEST_MODULE resolver
#include <boost/test/unit_test.hpp>
