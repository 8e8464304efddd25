#include "store/state_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace sipha::agent {
namespace {

std::string errnoText(std::string_view what, const std::string& path) {
  return std::string(what) + " " + path + ": " + std::strerror(errno);
}

bool writeAll(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

bool StateFiles::prepare(std::string& error) const {
  // One level is enough: data-dir exists (sipd's and the image's tmpfiles make it).
  if (::mkdir(directory_.c_str(), 0700) != 0 && errno != EEXIST) {
    error = errnoText("cannot create", directory_);
    return false;
  }
  return true;
}

std::optional<std::uint64_t> StateFiles::read(std::string_view name, std::string& error) const {
  const std::string path = directory_ + "/" + std::string(name);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno != ENOENT) error = errnoText("cannot open", path);
    return std::nullopt;
  }
  char buffer[32];
  const ssize_t n = ::read(fd, buffer, sizeof buffer);
  ::close(fd);
  std::string_view text(buffer, n > 0 ? static_cast<std::size_t>(n) : 0);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (n <= 0 || text.empty() || ec != std::errc{} || end != text.data() + text.size()) {
    error = path + ": not a number (damaged state file)";
    return std::nullopt;
  }
  return value;
}

bool StateFiles::write(std::string_view name, std::uint64_t value, std::string& error) const {
  const std::string path = directory_ + "/" + std::string(name);
  const std::string temporary = path + ".new";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    error = errnoText("cannot create", temporary);
    return false;
  }
  const std::string text = std::to_string(value) + "\n";
  const bool written = writeAll(fd, text) && ::fsync(fd) == 0;
  if (!written) error = errnoText("cannot write", temporary);
  ::close(fd);
  if (!written) return false;
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    error = errnoText("cannot rename to", path);
    return false;
  }
  const int dir = ::open(directory_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  const bool synced = dir >= 0 && ::fsync(dir) == 0;
  if (!synced) error = errnoText("cannot fsync", directory_);
  if (dir >= 0) ::close(dir);
  return synced;
}

}  // namespace sipha::agent
