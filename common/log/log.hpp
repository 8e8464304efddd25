#pragma once
// Logging: to the journal when running under systemd (JOURNAL_STREAM is set), to stderr
// otherwise. Log once, at the layer that decides (STYLE.md); never on the per-packet path.
#include <sstream>
#include <string>
#include <string_view>

#include "common/config/config.hpp"

namespace sipha::common {

void setLogLevel(LogLevel level);
void setLogIdentifier(std::string_view identifier);  // e.g. "sipd"
bool logEnabled(LogLevel level);
void logMessage(LogLevel level, std::string_view message);

template <typename... Parts>
void log(LogLevel level, const Parts&... parts) {
  if (!logEnabled(level)) return;
  std::ostringstream text;
  (text << ... << parts);
  logMessage(level, text.str());
}

template <typename... Parts>
void logDebug(const Parts&... parts) {
  log(LogLevel::Debug, parts...);
}
template <typename... Parts>
void logInfo(const Parts&... parts) {
  log(LogLevel::Info, parts...);
}
template <typename... Parts>
void logNotice(const Parts&... parts) {
  log(LogLevel::Notice, parts...);
}
template <typename... Parts>
void logWarning(const Parts&... parts) {
  log(LogLevel::Warning, parts...);
}
template <typename... Parts>
void logError(const Parts&... parts) {
  log(LogLevel::Error, parts...);
}

}  // namespace sipha::common
