#define BOOST_TEST_MODULE siphactl
#include <boost/test/unit_test.hpp>
