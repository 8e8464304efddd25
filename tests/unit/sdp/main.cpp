#define BOOST_TEST_MODULE sdp
#include <boost/test/unit_test.hpp>
