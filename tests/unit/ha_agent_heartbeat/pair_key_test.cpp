// The pair key file: what loads, and every refusal with the file and the reason named.
#include <sys/stat.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <ios>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>

#include "fixtures.hpp"
#include "heartbeat/pair_key.hpp"

namespace hb = sipha::agent::heartbeat;
using hb::KeyError;

namespace {

const std::string kHex32 = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "sipha-pairkey-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp");
    path = pattern;
  }
  ~TempDir() { std::filesystem::remove_all(path); }

  std::string write(const std::string& name, const std::string& content, mode_t mode = 0600) {
    const std::filesystem::path file = path / name;
    std::ofstream(file, std::ios::binary) << content;
    ::chmod(file.c_str(), mode);
    return file.string();
  }
};

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(pair_key)

BOOST_AUTO_TEST_CASE(loads_hex_with_whitespace) {
  TempDir dir;
  for (const std::string& content :
       {kHex32, kHex32 + "\n", "  " + kHex32 + "\r\n",
        kHex32.substr(0, 60) + "\n" + kHex32.substr(60), std::string(128, 'A') + "\n"}) {
    const hb::KeyLoad load = hb::loadPairKey(dir.write("key", content));
    BOOST_TEST_REQUIRE(load.error == KeyError::None, load.message);
    BOOST_TEST(load.message.empty());
    BOOST_TEST_REQUIRE(load.key.has_value());
    BOOST_TEST(load.key->bytes().size() >= hb::PairKey::kMinBytes);
  }
  const hb::KeyLoad load = hb::loadPairKey(dir.write("key", kHex32 + "\n", 0400));
  BOOST_TEST_REQUIRE(load.error == KeyError::None, load.message);
  BOOST_TEST(load.key->bytes().size() == 32u);
  BOOST_TEST(load.key->bytes()[0] == 0x00);
  BOOST_TEST(load.key->bytes()[31] == 0x1f);
}

BOOST_AUTO_TEST_CASE(group_or_other_access_is_refused) {
  TempDir dir;
  for (const mode_t mode : {0640, 0604, 0620, 0602, 0610, 0601, 0644, 0666}) {
    const std::string file = dir.write("key", kHex32, mode);
    const hb::KeyLoad load = hb::loadPairKey(file);
    BOOST_TEST(load.error == KeyError::BadPermissions, "mode " << std::oct << mode);
    BOOST_TEST(!load.key.has_value());
    BOOST_TEST(contains(load.message, file), load.message);
    BOOST_TEST(contains(load.message, "group or others"), load.message);
  }
  const hb::KeyLoad load = hb::loadPairKey(dir.write("key", kHex32, 0640));
  BOOST_TEST(contains(load.message, "mode 0640"), load.message);
}

BOOST_AUTO_TEST_CASE(too_short_too_long_and_not_hex_are_refused) {
  TempDir dir;
  const auto load = [&](const std::string& content) {
    return hb::loadPairKey(dir.write("key", content));
  };
  hb::KeyLoad l = load(kHex32.substr(0, 62));  // 31 bytes
  BOOST_TEST(l.error == KeyError::TooShort);
  BOOST_TEST(contains(l.message, (dir.path / "key").string()), l.message);
  BOOST_TEST(contains(l.message, "under 32 bytes"), l.message);
  BOOST_TEST(load("").error == KeyError::TooShort);
  BOOST_TEST(load("\n").error == KeyError::TooShort);
  BOOST_TEST(load(std::string(130, 'a')).error == KeyError::TooLong);  // 65 bytes
  BOOST_TEST(load(kHex32 + "0").error == KeyError::NotHex);            // an odd digit count
  BOOST_TEST(load(kHex32.substr(0, 63) + "g").error == KeyError::NotHex);
  BOOST_TEST(load("0x" + kHex32).error == KeyError::NotHex);
  BOOST_TEST(load(kHex32 + "\n# comment\n").error == KeyError::NotHex);
  std::string raw(32, '\0');
  for (std::size_t i = 0; i < raw.size(); ++i) raw[i] = static_cast<char>(0xa0 + i);
  l = load(raw);  // raw bytes are not the format
  BOOST_TEST(l.error == KeyError::NotHex);
  BOOST_TEST(contains(l.message, "openssl rand -hex 32"), l.message);
  BOOST_TEST(load(std::string(5000, 'a')).error == KeyError::TooLarge);
}

BOOST_AUTO_TEST_CASE(missing_file_and_directory_are_refused) {
  TempDir dir;
  hb::KeyLoad l = hb::loadPairKey((dir.path / "absent").string());
  BOOST_TEST(l.error == KeyError::CannotOpen);
  BOOST_TEST(contains(l.message, (dir.path / "absent").string()), l.message);
  BOOST_TEST(contains(l.message, "No such file"), l.message);
  ::chmod(dir.path.c_str(), 0700);
  l = hb::loadPairKey(dir.path.string());
  BOOST_TEST(l.error == KeyError::NotRegularFile, l.message);
}

BOOST_AUTO_TEST_CASE(parse_and_from_bytes) {
  std::optional<hb::PairKey> key;
  BOOST_TEST(hb::parsePairKey(kHex32, key) == KeyError::None);
  BOOST_TEST(key.has_value());
  const std::uint8_t bytes[65] = {};
  BOOST_TEST(!hb::PairKey::fromBytes(std::span(bytes, 31)).has_value());
  BOOST_TEST(hb::PairKey::fromBytes(std::span(bytes, 32)).has_value());
  BOOST_TEST(hb::PairKey::fromBytes(std::span(bytes, 64)).has_value());
  BOOST_TEST(!hb::PairKey::fromBytes(std::span(bytes, 65)).has_value());
}

BOOST_AUTO_TEST_CASE(a_moved_from_key_is_wiped) {
  std::optional<hb::PairKey> key;
  BOOST_TEST_REQUIRE(hb::parsePairKey(std::string(64, 'f'), key) == KeyError::None);
  hb::PairKey moved = std::move(*key);
  BOOST_TEST(moved.bytes().size() == 32u);
  BOOST_TEST(moved.bytes()[0] == 0xff);
  BOOST_TEST(key->bytes().empty());
  // The storage itself is zero (the view is empty, so look at what it pointed to).
  const std::uint8_t* storage = key->bytes().data();
  bool zero = true;
  for (std::size_t i = 0; i < hb::PairKey::kMaxBytes; ++i) zero = zero && storage[i] == 0;
  BOOST_TEST(zero);
}

BOOST_AUTO_TEST_SUITE_END()
