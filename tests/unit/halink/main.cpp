#define BOOST_TEST_MODULE halink
#include <boost/test/unit_test.hpp>
