#pragma once
// A real, private dbus-daemon for one test: started from a config in tests/data/dbus/, listening
// in its own temp dir, with DBUS_SYSTEM_BUS_ADDRESS pointing at it until destruction.
#include <sys/types.h>

#include <optional>
#include <string>

namespace sipha::control::test {

class PrivateBus {
 public:
  // Throws std::runtime_error when dbus-daemon does not start or print its address.
  explicit PrivateBus(const std::string& configName = "system-test.conf");
  ~PrivateBus();
  PrivateBus(const PrivateBus&) = delete;
  PrivateBus& operator=(const PrivateBus&) = delete;

  const std::string& address() const { return address_; }
  const std::string& directory() const { return directory_; }

  // Terminates dbus-daemon now (SIGTERM + wait): clients see their connection drop.
  void stop();

 private:
  std::string directory_;
  std::string address_;
  std::optional<std::string> previousAddress_;
  pid_t pid_ = -1;
};

}  // namespace sipha::control::test
