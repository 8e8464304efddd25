#include "registrar/contact_format.hpp"

#include <algorithm>

namespace sipha::registrar {

void appendQValue(std::string& out, std::uint16_t thousandths) {
  thousandths = std::min<std::uint16_t>(thousandths, 1000);
  if (thousandths == 1000) {
    out.push_back('1');
    return;
  }
  out.push_back('0');
  if (thousandths == 0) return;
  char digits[3] = {static_cast<char>('0' + thousandths / 100),
                    static_cast<char>('0' + thousandths / 10 % 10),
                    static_cast<char>('0' + thousandths % 10)};
  int length = 3;
  while (digits[length - 1] == '0') --length;
  out.push_back('.');
  out.append(digits, static_cast<std::size_t>(length));
}

void appendContactValue(std::string& out, const Binding& binding) {
  out.push_back('<');
  out.append(binding.uri);
  out.append(">;expires=");
  out.append(std::to_string(binding.expires));
  if (binding.q) {
    out.append(";q=");
    appendQValue(out, *binding.q);
  }
  out.append(binding.params);
}

}  // namespace sipha::registrar
