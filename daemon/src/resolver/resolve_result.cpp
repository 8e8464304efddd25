#include "resolver/resolve_result.hpp"

namespace sipha::resolver {

std::string_view statusName(ResolveStatus status) noexcept {
  switch (status) {
    case ResolveStatus::Ok:
      return "ok";
    case ResolveStatus::NxDomain:
      return "NXDOMAIN";
    case ResolveStatus::NoRecords:
      return "no records";
    case ResolveStatus::Timeout:
      return "timeout";
    case ResolveStatus::ServerFailure:
      return "SERVFAIL";
    case ResolveStatus::Refused:
      return "refused";
    case ResolveStatus::Malformed:
      return "malformed answer";
    case ResolveStatus::Failure:
      return "failure";
    case ResolveStatus::Overloaded:
      return "too many lookups in flight";
    case ResolveStatus::Invalid:
      return "invalid query";
  }
  return "failure";
}

std::string ResolveResult::describe() const {
  std::string text = name;
  text += ": ";
  text += statusName(status);
  if (!detail.empty()) {
    text += " (";
    text += detail;
    text += ')';
  }
  return text;
}

}  // namespace sipha::resolver
