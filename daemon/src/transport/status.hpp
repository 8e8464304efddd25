#pragma once
// The result of a set-up operation (bind, TLS context, reconfigure): success, or an error code
// with a sentence for the operator. Never thrown; the caller decides whether to log it.
#include <string>
#include <system_error>
#include <utility>

namespace sipha::transport {

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status success() { return Status{}; }
  static Status failure(std::error_code code, std::string message) {
    Status status;
    status.code_ = code;
    status.message_ = std::move(message);
    return status;
  }

  bool ok() const noexcept { return !code_; }
  explicit operator bool() const noexcept { return ok(); }
  std::error_code code() const noexcept { return code_; }
  const std::string& message() const noexcept { return message_; }

 private:
  std::error_code code_;
  std::string message_;
};

inline std::error_code errnoCode(int value) { return {value, std::generic_category()}; }

}  // namespace sipha::transport
