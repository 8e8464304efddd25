// 16.3 item 4 / 8.2.2.2 loop detection and the branch format it relies on.
#include <boost/test/unit_test.hpp>

#include <vector>

#include "layer_fixture.hpp"
#include "transaction/loop_detection.hpp"
#include "transaction/messages.hpp"

using namespace sipha::transaction;

BOOST_AUTO_TEST_SUITE(loop_detection)

BOOST_AUTO_TEST_CASE(branch_format) {
  const std::string branch = makeBranch("sha", "f00d", 0x2a);
  BOOST_TEST(branch == "z9hG4bKshaf00d.2a");
  BOOST_TEST(isRfc3261Branch(branch));
  BOOST_TEST(!isRfc3261Branch("z9hG4bK"));
  BOOST_TEST(!isRfc3261Branch("abc"));
}

BOOST_AUTO_TEST_CASE(loop_versus_spiral) {
  const std::string ours = makeBranch("sha", "f00d", 7);
  const std::string spiral = makeBranch("sha", "beef", 8);
  const std::vector<ViaView> looped = {{"10.0.0.9:5060", "z9hG4bKzz"}, {"VIP.example.com", ours}};
  BOOST_TEST(isLoop(looped, "vip.example.com", "sha", "f00d"));
  BOOST_TEST(isLoop(looped, "vip.example.com", "sha", ""));
  BOOST_TEST(!isLoop(looped, "vip.example.com", "sha", "f00"));  // prefix of a fingerprint
  const std::vector<ViaView> spiralled = {{"vip.example.com", spiral}};
  BOOST_TEST(!isLoop(spiralled, "vip.example.com", "sha", "f00d"));
  const std::vector<ViaView> foreign = {{"other.example.com", ours},
                                        {"vip.example.com", "z9hG4bKx"}};
  BOOST_TEST(!isLoop(foreign, "vip.example.com", "sha", "f00d"));
  BOOST_TEST(!isLoop({}, "vip.example.com", "sha", ""));
}

BOOST_AUTO_TEST_SUITE_END()
