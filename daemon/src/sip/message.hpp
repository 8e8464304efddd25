#pragma once
// A received SIP message (RFC 3261 7): one owned buffer plus views into it. The parser
// (parser.hpp) fills the fields every message needs; everything else is parsed on request.
// Non-copyable and non-movable: the views point into buffer_.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sip/header_id.hpp"
#include "sip/method.hpp"
#include "sip/name_addr.hpp"
#include "sip/uri.hpp"
#include "sip/via.hpp"

namespace sipha::sip {

struct HeaderField {
  std::string_view name;   // as written (may be a compact form)
  std::string_view value;  // trimmed; folded lines rewritten to spaces
  HeaderId id = HeaderId::Unknown;
};

struct CSeq {
  std::uint32_t number = 0;
  std::string_view methodText;
  Method method = Method::Unknown;
};

// Splits a comma-separated header value, respecting quoted-strings and <...> (RFC 3261 7.3.1).
// Empty elements are skipped.
class CommaSplitter {
 public:
  explicit CommaSplitter(std::string_view value) noexcept : rest_(value) {}
  // Next element (trimmed), or nullopt at the end.
  std::optional<std::string_view> next() noexcept;

 private:
  std::string_view rest_;
  bool done_ = false;
};

// Iterates every comma-separated value of every header with a given id, in message order.
class HeaderValues {
 public:
  class Iterator {
   public:
    Iterator() = default;
    Iterator(const HeaderField* current, const HeaderField* end, HeaderId id) noexcept;
    std::string_view operator*() const noexcept { return value_; }
    Iterator& operator++() noexcept {
      advance();
      return *this;
    }
    bool operator==(const Iterator& other) const noexcept {
      return current_ == other.current_ && value_.data() == other.value_.data();
    }

   private:
    void advance() noexcept;
    void seekField() noexcept;
    const HeaderField* current_ = nullptr;
    const HeaderField* end_ = nullptr;
    HeaderId id_ = HeaderId::Unknown;
    CommaSplitter splitter_{{}};
    std::string_view value_;
  };

  HeaderValues(const HeaderField* begin, const HeaderField* end, HeaderId id) noexcept
      : begin_(begin), end_(end), id_(id) {}
  Iterator begin() const noexcept { return Iterator(begin_, end_, id_); }
  Iterator end() const noexcept { return Iterator(end_, end_, id_); }

 private:
  const HeaderField* begin_;
  const HeaderField* end_;
  HeaderId id_;
};

class Message {
 public:
  Message(const Message&) = delete;
  Message& operator=(const Message&) = delete;

  // Start line
  bool isRequest() const noexcept { return isRequest_; }
  bool isResponse() const noexcept { return !isRequest_; }
  Method method() const noexcept { return method_; }
  std::string_view methodText() const noexcept { return methodText_; }
  std::string_view requestUriText() const noexcept { return requestUriText_; }
  const Uri& requestUri() const noexcept { return requestUri_; }
  std::string_view version() const noexcept { return version_; }
  std::uint16_t statusCode() const noexcept { return statusCode_; }
  std::string_view reason() const noexcept { return reason_; }

  // Headers, in message order.
  const std::vector<HeaderField>& headers() const noexcept { return headers_; }
  // Value of the first header field with this id (whole field, not comma-split); empty if absent.
  std::string_view header(HeaderId id) const noexcept;
  // Same, by name (case-insensitive); use for headers without an id.
  std::string_view header(std::string_view name) const noexcept;
  bool has(HeaderId id) const noexcept;
  // All comma-separated values of all fields with this id (Contact, Route, Allow, ...). Not for
  // headers whose grammar is not a comma list (Date, WWW-Authenticate, Authorization, ...).
  HeaderValues values(HeaderId id) const noexcept {
    return HeaderValues(headers_.data(), headers_.data() + headers_.size(), id);
  }

  // Eagerly parsed fields
  const std::vector<std::string_view>& vias() const noexcept { return vias_; }
  const Via& topVia() const noexcept { return topVia_; }
  const NameAddr& from() const noexcept { return from_; }
  const NameAddr& to() const noexcept { return to_; }
  std::string_view fromText() const noexcept { return fromText_; }
  std::string_view toText() const noexcept { return toText_; }
  std::string_view callId() const noexcept { return callId_; }
  const CSeq& cseq() const noexcept { return cseq_; }
  std::string_view cseqText() const noexcept { return cseqText_; }
  std::optional<std::uint32_t> maxForwards() const noexcept { return maxForwards_; }
  std::optional<std::uint32_t> contentLength() const noexcept { return contentLength_; }
  std::string_view body() const noexcept { return body_; }

  // Lazily parsed (RFC 3261 20.19, 20.23): nullopt if absent or malformed.
  std::optional<std::uint32_t> expires() const noexcept;
  std::optional<std::uint32_t> minExpires() const noexcept;

  // The received bytes (after in-place unfolding).
  std::string_view buffer() const noexcept { return buffer_; }

 private:
  friend class MessageParser;
  explicit Message(std::string&& bytes) noexcept : buffer_(std::move(bytes)) {}

  std::string buffer_;
  bool isRequest_ = false;
  Method method_ = Method::Unknown;
  std::uint16_t statusCode_ = 0;
  std::string_view methodText_;
  std::string_view requestUriText_;
  std::string_view version_;
  std::string_view reason_;
  Uri requestUri_;
  std::vector<HeaderField> headers_;
  std::vector<std::string_view> vias_;
  Via topVia_;
  NameAddr from_;
  NameAddr to_;
  std::string_view fromText_;
  std::string_view toText_;
  std::string_view callId_;
  CSeq cseq_;
  std::string_view cseqText_;
  std::optional<std::uint32_t> maxForwards_;
  std::optional<std::uint32_t> contentLength_;
  std::string_view body_;
};

}  // namespace sipha::sip
