#include "dns_wire.hpp"

#include <arpa/inet.h>

namespace sipha::resolver::test {
namespace {

void put16(Bytes& out, std::uint16_t value) {
  out.push_back(static_cast<unsigned char>(value >> 8));
  out.push_back(static_cast<unsigned char>(value & 0xff));
}

void put32(Bytes& out, std::uint32_t value) {
  put16(out, static_cast<std::uint16_t>(value >> 16));
  put16(out, static_cast<std::uint16_t>(value & 0xffff));
}

void putString(Bytes& out, std::string_view text) {
  out.push_back(static_cast<unsigned char>(text.size()));
  out.insert(out.end(), text.begin(), text.end());
}

}  // namespace

Bytes encodeName(std::string_view name) {
  Bytes out;
  while (!name.empty() && name != ".") {
    const auto dot = name.find('.');
    const std::string_view label = name.substr(0, dot);
    putString(out, label);
    if (dot == std::string_view::npos) break;
    name.remove_prefix(dot + 1);
  }
  out.push_back(0);
  return out;
}

Bytes srvRdata(std::uint16_t priority, std::uint16_t weight, std::uint16_t port,
               std::string_view target) {
  Bytes out;
  put16(out, priority);
  put16(out, weight);
  put16(out, port);
  const Bytes name = encodeName(target);
  out.insert(out.end(), name.begin(), name.end());
  return out;
}

Bytes naptrRdata(std::uint16_t order, std::uint16_t preference, std::string_view flags,
                 std::string_view service, std::string_view regexp, std::string_view replacement) {
  Bytes out;
  put16(out, order);
  put16(out, preference);
  putString(out, flags);
  putString(out, service);
  putString(out, regexp);
  const Bytes name = encodeName(replacement);
  out.insert(out.end(), name.begin(), name.end());
  return out;
}

Bytes aRdata(std::string_view ipv4) {
  unsigned char bytes[4] = {};
  inet_pton(AF_INET, std::string{ipv4}.c_str(), bytes);
  return Bytes(bytes, bytes + 4);
}

Bytes aaaaRdata(std::string_view ipv6) {
  unsigned char bytes[16] = {};
  inet_pton(AF_INET6, std::string{ipv6}.c_str(), bytes);
  return Bytes(bytes, bytes + 16);
}

Bytes buildAnswer(std::uint16_t id, int rcode, std::string_view qname, std::uint16_t qtype,
                  const std::vector<WireRecord>& answers) {
  Bytes out;
  put16(out, id);
  put16(out, static_cast<std::uint16_t>(0x8180 | (rcode & 0xf)));  // QR, RD, RA
  put16(out, 1);
  put16(out, static_cast<std::uint16_t>(answers.size()));
  put16(out, 0);
  put16(out, 0);
  const Bytes question = encodeName(qname);
  out.insert(out.end(), question.begin(), question.end());
  put16(out, qtype);
  put16(out, 1);
  for (const auto& record : answers) {
    const Bytes name = encodeName(record.name);
    out.insert(out.end(), name.begin(), name.end());
    put16(out, record.type);
    put16(out, 1);
    put32(out, record.ttl);
    put16(out, static_cast<std::uint16_t>(record.rdata.size()));
    out.insert(out.end(), record.rdata.begin(), record.rdata.end());
  }
  return out;
}

bool parseQuestion(std::span<const unsigned char> message, std::uint16_t& id, std::string& qname,
                   std::uint16_t& qtype) {
  if (message.size() < 12) return false;
  id = static_cast<std::uint16_t>((message[0] << 8) | message[1]);
  std::size_t at = 12;
  qname.clear();
  while (at < message.size() && message[at] != 0) {
    const std::size_t length = message[at++];
    if (length > 63 || at + length > message.size()) return false;
    if (!qname.empty()) qname += '.';
    for (std::size_t i = 0; i < length; ++i) {
      const char c = static_cast<char>(message[at + i]);
      qname += (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
    }
    at += length;
  }
  if (at + 5 > message.size()) return false;
  ++at;
  qtype = static_cast<std::uint16_t>((message[at] << 8) | message[at + 1]);
  return true;
}

}  // namespace sipha::resolver::test
