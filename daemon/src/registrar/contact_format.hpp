#pragma once
// Formatting of the Contact values a 200 (REGISTER) lists: RFC 3261 10.3 step 8 — every current
// binding with its remaining "expires" and its "q" (20.10, qvalue syntax of 25.1).
#include <cstdint>
#include <string>

#include "registrar/types.hpp"

namespace sipha::registrar {

// 1000 -> "1", 500 -> "0.5", 125 -> "0.125", 0 -> "0". Values above 1000 are clamped.
void appendQValue(std::string& out, std::uint16_t thousandths);

// "<uri>;expires=N[;q=x]<params>" appended to `out` (params are echoed as received).
void appendContactValue(std::string& out, const Binding& binding);

}  // namespace sipha::registrar
