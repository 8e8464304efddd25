#pragma once
// Views over ";name[=value]" parameter lists: uri-parameters (RFC 3261 19.1.1) and header
// generic-params (RFC 3261 25.1, quoted-string values allowed). Names compare case-insensitively.
#include <cstddef>
#include <optional>
#include <string_view>

namespace sipha::sip {

struct Param {
  std::string_view name;
  std::string_view value;  // empty for a flag parameter ("lr")
  bool hasValue = false;
};

// A list of parameters as text, without or with the leading ';'. Parsing happens while iterating.
class ParamList {
 public:
  constexpr ParamList() = default;
  constexpr explicit ParamList(std::string_view text) noexcept : text_(text) {}

  // Value of the first parameter named `name`; an empty view for a flag; nullopt if absent.
  std::optional<std::string_view> find(std::string_view name) const noexcept;
  bool has(std::string_view name) const noexcept { return find(name).has_value(); }
  std::string_view text() const noexcept { return text_; }
  bool empty() const noexcept;

  // Structural validation: every element is token[=value], quotes closed.
  bool valid() const noexcept;

  class Iterator {
   public:
    Iterator() = default;
    explicit Iterator(std::string_view rest) noexcept : rest_(rest) { advance(); }
    const Param& operator*() const noexcept { return current_; }
    const Param* operator->() const noexcept { return &current_; }
    Iterator& operator++() noexcept {
      advance();
      return *this;
    }
    bool operator==(const Iterator& other) const noexcept {
      return done_ == other.done_ && (done_ || rest_.data() == other.rest_.data());
    }

   private:
    void advance() noexcept;
    std::string_view rest_;
    Param current_;
    bool done_ = true;
  };
  Iterator begin() const noexcept { return Iterator(text_); }
  Iterator end() const noexcept { return Iterator(); }

 private:
  std::string_view text_;
};

// Strips the surrounding quotes of a quoted-string value (escapes are left in place).
std::string_view unquote(std::string_view value) noexcept;

}  // namespace sipha::sip
