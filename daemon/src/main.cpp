// sipd: the SIP server of the sipha appliance. A thin main; the service is core::SipdApp.
#include <cstdio>
#include <cstring>
#include <string>

#include "common/log/log.hpp"
#include "core/sipd_app.hpp"

namespace {

void usage(std::FILE* out) {
  std::fputs("usage: sipd --config FILE\n       sipd --version\n", out);
}

}  // namespace

int main(int argc, char** argv) {
  sipha::common::setLogIdentifier("sipd");
  std::string configPath;
  for (int i = 1; i < argc; ++i) {
    const std::string argument = argv[i];
    if ((argument == "--config" || argument == "-c") && i + 1 < argc) {
      configPath = argv[++i];
    } else if (argument.rfind("--config=", 0) == 0) {
      configPath = argument.substr(9);
    } else if (argument == "--version") {
      std::puts("sipd " SIPHA_VERSION);
      return 0;
    } else if (argument == "--help" || argument == "-h") {
      usage(stdout);
      return 0;
    } else {
      usage(stderr);
      return 2;
    }
  }
  if (configPath.empty()) {
    usage(stderr);
    return 2;
  }
  sipha::core::SipdApp app(configPath);
  if (const int failure = app.start(); failure != 0) return failure;
  return app.run();
}
