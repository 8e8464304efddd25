#define BOOST_TEST_MODULE b2bua
#include <boost/test/unit_test.hpp>
