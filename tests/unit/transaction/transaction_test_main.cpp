#define BOOST_TEST_MODULE transaction
#include <boost/test/unit_test.hpp>
