#include "common/log/log.hpp"

#include <syslog.h>
#include <systemd/sd-journal.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace sipha::common {
namespace {

std::atomic<int> minimumLevel{static_cast<int>(LogLevel::Info)};
std::string identifier = "sipha";

int syslogPriority(LogLevel level) {
  switch (level) {
    case LogLevel::Debug:
      return LOG_DEBUG;
    case LogLevel::Info:
      return LOG_INFO;
    case LogLevel::Notice:
      return LOG_NOTICE;
    case LogLevel::Warning:
      return LOG_WARNING;
    case LogLevel::Error:
      return LOG_ERR;
  }
  return LOG_INFO;
}

const char* levelName(LogLevel level) {
  switch (level) {
    case LogLevel::Debug:
      return "debug";
    case LogLevel::Info:
      return "info";
    case LogLevel::Notice:
      return "notice";
    case LogLevel::Warning:
      return "warning";
    case LogLevel::Error:
      return "error";
  }
  return "info";
}

// systemd sets JOURNAL_STREAM when stderr is connected to the journal (systemd.exec(5)).
bool underJournal() {
  static const bool journal = std::getenv("JOURNAL_STREAM") != nullptr;
  return journal;
}

}  // namespace

void setLogLevel(LogLevel level) { minimumLevel = static_cast<int>(level); }

void setLogIdentifier(std::string_view name) { identifier = std::string{name}; }

bool logEnabled(LogLevel level) { return static_cast<int>(level) >= minimumLevel.load(); }

void logMessage(LogLevel level, std::string_view message) {
  if (underJournal()) {
    sd_journal_send("MESSAGE=%.*s", static_cast<int>(message.size()), message.data(), "PRIORITY=%d",
                    syslogPriority(level), "SYSLOG_IDENTIFIER=%s", identifier.c_str(), nullptr);
    return;
  }
  static std::mutex stderrMutex;  // helper threads (the journal writer) log too
  std::lock_guard lock(stderrMutex);
  std::fprintf(stderr, "%s[%s]: %.*s\n", identifier.c_str(), levelName(level),
               static_cast<int>(message.size()), message.data());
}

}  // namespace sipha::common
