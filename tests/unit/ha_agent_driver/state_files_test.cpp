// The agent's state files: durable numbers, damaged files refused.
#include <sys/stat.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <fstream>

#include "store/state_files.hpp"

using sipha::agent::StateFiles;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char pattern[] = "/tmp/sipha-agent-state-XXXXXX";
    path = ::mkdtemp(pattern);
  }
  ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(state_files)

BOOST_AUTO_TEST_CASE(a_number_written_is_read_back_and_a_missing_file_is_none) {
  TempDir dir;
  StateFiles files(dir.path + "/agent");
  std::string error;
  BOOST_REQUIRE(files.prepare(error));
  struct stat st {};
  BOOST_REQUIRE(::stat((dir.path + "/agent").c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0700u);
  BOOST_TEST(!files.read("epoch", error));
  BOOST_TEST(error.empty());
  BOOST_REQUIRE(files.write("epoch", 42, error));
  BOOST_TEST(*files.read("epoch", error) == 42u);
  BOOST_REQUIRE(files.write("epoch", 18446744073709551615ULL, error));
  BOOST_TEST(*files.read("epoch", error) == 18446744073709551615ULL);
  BOOST_TEST(::access((dir.path + "/agent/epoch.new").c_str(), F_OK) != 0);  // renamed
}

BOOST_AUTO_TEST_CASE(a_damaged_file_is_an_error_not_zero) {
  TempDir dir;
  StateFiles files(dir.path);
  std::string error;
  for (const char* text : {"", "12x\n", "-1\n", "99999999999999999999999\n"}) {
    std::ofstream(dir.path + "/epoch") << text;
    error.clear();
    BOOST_TEST(!files.read("epoch", error));
    BOOST_TEST(error.find("damaged") != std::string::npos, text);
  }
}

BOOST_AUTO_TEST_CASE(a_write_that_cannot_happen_says_why_and_keeps_the_old_value) {
  TempDir dir;
  StateFiles files(dir.path);
  std::string error;
  BOOST_REQUIRE(files.write("epoch", 5, error));
  ::mkdir((dir.path + "/epoch.new").c_str(), 0700);  // the temporary file cannot be created
  BOOST_TEST(!files.write("epoch", 6, error));
  BOOST_TEST(error.find("epoch.new") != std::string::npos);
  BOOST_TEST(*files.read("epoch", error) == 5u);
}

BOOST_AUTO_TEST_SUITE_END()
