#pragma once
// The reference's BIG-IP example as a pair of configuration files (VIP 192.168.166.238, nodes
// 192.168.167.125 and .126, internal self IP 192.168.167.96/25, external self IP
// 192.168.166.229/28, BIG-IP default route 192.168.166.225, configuration server 172.21.83.193).
// These are configuration values only; no traffic goes to them.
#include <string>

#include "common/config/config.hpp"

namespace sipha::netcfg::test {

struct ExamplePair {
  std::string primary;  // the primary's file text
  std::string backup;   // the backup's
};

ExamplePair referenceExample();

// Replaces the first line starting with "KEY =" by "KEY = VALUE" (or appends it to [network]).
std::string withOption(std::string text, const std::string& key, const std::string& value);
// Removes the line starting with "KEY =".
std::string without(std::string text, const std::string& key);

// Loads text through the common loader; fails the test if the loader refuses it.
common::Config loadText(const std::string& text, const std::string& path);

}  // namespace sipha::netcfg::test
