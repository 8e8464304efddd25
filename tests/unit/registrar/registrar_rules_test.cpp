#define BOOST_TEST_MODULE registrar
#include <boost/test/unit_test.hpp>

#include "registrar/contact_format.hpp"
#include "test_support.hpp"

using namespace sipha::registrar;
using namespace sipha::registrar::test;

namespace {

struct Fixture {
  Fixture() : registrar(RegistrarOptions{}, extensions(), digestOptions()) {
    registrar.setEventSink([this](const Event& e) { events.push_back(e); });
  }
  Registrar registrar;
  std::vector<Event> events;
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(rules, Fixture)

BOOST_AUTO_TEST_CASE(unknown_user_is_404_unless_accept_unknown) {
  auto r = request("9999", "c1", 1);
  r.contacts = {contact("sip:9999@192.0.2.10")};
  BOOST_TEST(registrar.handleRegister(r, kT0).status == 404);
  BOOST_TEST(registrar.bindingCount() == 0u);
  BOOST_TEST(events.empty());

  RegistrarOptions options;
  options.acceptUnknown = true;
  Registrar open(options, extensions(), digestOptions());
  BOOST_TEST(open.handleRegister(r, kT0).status == 200);
  BOOST_TEST(open.bindingCount() == 1u);
}

BOOST_AUTO_TEST_CASE(expires_from_param_then_header_then_default) {
  auto r = request("1001", "c1", 1);
  r.expiresHeader = 600;
  r.contacts = {contact("sip:a@192.0.2.10", 300), contact("sip:b@192.0.2.10")};
  auto result = registrar.handleRegister(r, kT0);
  BOOST_TEST(result.status == 200);
  BOOST_TEST_REQUIRE(result.current.size() == 2u);
  BOOST_TEST(result.current[0].expires == 300u);
  BOOST_TEST(result.current[1].expires == 600u);

  auto d = request("1002", "c2", 1);
  d.contacts = {contact("sip:c@192.0.2.11")};
  result = registrar.handleRegister(d, kT0);
  BOOST_TEST_REQUIRE(result.current.size() == 1u);
  BOOST_TEST(result.current[0].expires == 3600u);
  BOOST_TEST(result.reason == "OK");
}

BOOST_AUTO_TEST_CASE(too_brief_is_423_with_min_expires_and_changes_nothing) {
  auto r = request("1001", "c1", 1);
  r.contacts = {contact("sip:a@192.0.2.10", 3600), contact("sip:b@192.0.2.10", 59)};
  auto result = registrar.handleRegister(r, kT0);
  BOOST_TEST(result.status == 423);
  BOOST_TEST(result.minExpires == 60u);
  BOOST_TEST(registrar.bindingCount() == 0u);  // atomic: the good contact is not bound either
  BOOST_TEST(registrar.counters().intervalTooBrief == 1u);

  r.contacts = {contact("sip:b@192.0.2.10", 60)};
  BOOST_TEST(registrar.handleRegister(r, kT0).status == 200);
}

BOOST_AUTO_TEST_CASE(max_expires_caps_the_grant) {
  auto r = request("1001", "c1", 1);
  r.expiresHeader = 100000;
  r.contacts = {contact("sip:a@192.0.2.10")};
  auto result = registrar.handleRegister(r, kT0);
  BOOST_TEST_REQUIRE(result.current.size() == 1u);
  BOOST_TEST(result.current[0].expires == 7200u);
  BOOST_TEST(registrar.nextExpiry().value() == kT0 + 7200);
}

BOOST_AUTO_TEST_CASE(expires_zero_removes_and_is_always_allowed) {
  auto r = request("1001", "c1", 1);
  r.contacts = {contact("sip:a@192.0.2.10"), contact("sip:b@192.0.2.10")};
  BOOST_TEST(registrar.handleRegister(r, kT0).status == 200);
  auto remove = request("1001", "c1", 2);
  remove.contacts = {contact("sip:A@192.0.2.10", 0)};  // user part differs: not the same URI
  BOOST_TEST(registrar.handleRegister(remove, kT0).current.size() == 2u);
  remove = request("1001", "c1", 3);
  remove.contacts = {contact("SIP:a@192.0.2.10", 0)};  // scheme is case-insensitive
  auto result = registrar.handleRegister(remove, kT0 + 1);
  BOOST_TEST(result.status == 200);
  BOOST_TEST_REQUIRE(result.current.size() == 1u);
  BOOST_TEST(result.current[0].uri == "sip:b@192.0.2.10");
  BOOST_TEST(events.back().kind == EventKind::Removed);
  BOOST_TEST(events.back().contactUri == "sip:a@192.0.2.10");  // the stored URI text
}

BOOST_AUTO_TEST_CASE(q_values_are_kept_and_validated) {
  auto r = request("1001", "c1", 1);
  r.contacts = {contact("sip:a@192.0.2.10", {}, 500), contact("sip:b@192.0.2.10")};
  auto result = registrar.handleRegister(r, kT0);
  BOOST_TEST_REQUIRE(result.current.size() == 2u);
  BOOST_TEST(result.current[0].q.value() == 500);
  BOOST_TEST(!result.current[1].q.has_value());
  r.cseq = 2;
  r.contacts = {contact("sip:a@192.0.2.10", {}, 1001)};
  BOOST_TEST(registrar.handleRegister(r, kT0).status == 400);
}

BOOST_AUTO_TEST_CASE(same_call_id_needs_higher_cseq) {
  auto r = request("1001", "c1", 5);
  r.contacts = {contact("sip:a@192.0.2.10", 600)};
  BOOST_TEST(registrar.handleRegister(r, kT0).status == 200);
  const auto seqBefore = registrar.sequence();

  r.contacts = {contact("sip:a@192.0.2.10", 1200)};
  auto result = registrar.handleRegister(r, kT0 + 10);  // same CSeq: 10.3 step 7
  BOOST_TEST(result.status == 500);
  BOOST_TEST(registrar.counters().outOfOrder == 1u);
  BOOST_TEST(registrar.sequence() == seqBefore);
  BOOST_TEST(registrar.nextExpiry().value() == kT0 + 600);  // unchanged

  r.cseq = 4;
  BOOST_TEST(registrar.handleRegister(r, kT0 + 10).status == 500);
  r.cseq = 6;
  result = registrar.handleRegister(r, kT0 + 10);
  BOOST_TEST(result.status == 200);
  BOOST_TEST(result.current.at(0).expires == 1200u);
  BOOST_TEST(events.back().kind == EventKind::Refreshed);
  BOOST_TEST(result.eventSeq == registrar.sequence());
}

BOOST_AUTO_TEST_CASE(different_call_id_replaces_even_with_lower_cseq) {
  auto r = request("1001", "c1", 50);
  r.contacts = {contact("sip:a@192.0.2.10", 600)};
  BOOST_TEST(registrar.handleRegister(r, kT0).status == 200);
  auto other = request("1001", "c2", 1);
  other.contacts = {contact("sip:a@192.0.2.10", 900)};
  auto result = registrar.handleRegister(other, kT0);
  BOOST_TEST(result.status == 200);
  BOOST_TEST(result.current.at(0).expires == 900u);
  BOOST_TEST(registrar.snapshot().at(0).callId == "c2");
  BOOST_TEST(registrar.bindingCount() == 1u);
}

BOOST_AUTO_TEST_CASE(star_needs_expires_zero_and_no_other_contact) {
  auto r = request("1001", "c1", 1);
  r.contacts = {contact("sip:a@192.0.2.10"), contact("sip:b@192.0.2.10")};
  BOOST_TEST(registrar.handleRegister(r, kT0).status == 200);

  auto star = request("1001", "c9", 1);
  star.star = true;
  BOOST_TEST(registrar.handleRegister(star, kT0).status == 400);  // no Expires
  star.expiresHeader = 10;
  BOOST_TEST(registrar.handleRegister(star, kT0).status == 400);  // Expires not 0
  star.expiresHeader = 0;
  star.contacts = {contact("sip:c@192.0.2.10")};
  BOOST_TEST(registrar.handleRegister(star, kT0).status == 400);  // not alone
  BOOST_TEST(registrar.bindingCount() == 2u);

  star.contacts.clear();
  auto result = registrar.handleRegister(star, kT0);
  BOOST_TEST(result.status == 200);
  BOOST_TEST(result.current.empty());
  BOOST_TEST(registrar.bindingCount() == 0u);
  BOOST_TEST(registrar.aorCount() == 0u);
  BOOST_TEST(events.size() == 4u);  // 2 added, 2 removed
  BOOST_TEST(!registrar.nextExpiry().has_value());
}

BOOST_AUTO_TEST_CASE(star_with_same_call_id_and_old_cseq_is_500) {
  auto r = request("1001", "c1", 7);
  r.contacts = {contact("sip:a@192.0.2.10")};
  registrar.handleRegister(r, kT0);
  auto star = request("1001", "c1", 7);
  star.star = true;
  star.expiresHeader = 0;
  BOOST_TEST(registrar.handleRegister(star, kT0).status == 500);
  BOOST_TEST(registrar.bindingCount() == 1u);
}

BOOST_AUTO_TEST_CASE(no_contact_is_a_query) {
  auto r = request("1001", "c1", 1);
  r.contacts = {contact("sip:a@192.0.2.10", 600)};
  registrar.handleRegister(r, kT0);
  const auto eventCount = events.size();
  auto query = request("1001", "q1", 1);
  auto result = registrar.handleRegister(query, kT0 + 100);
  BOOST_TEST(result.status == 200);
  BOOST_TEST_REQUIRE(result.current.size() == 1u);
  BOOST_TEST(result.current[0].expires == 500u);
  BOOST_TEST(result.eventSeq == 0u);  // nothing to make durable
  BOOST_TEST(events.size() == eventCount);
  BOOST_TEST(registrar.counters().queries == 1u);
}

BOOST_AUTO_TEST_CASE(max_contacts_is_403_too_many_contacts) {
  RegistrarOptions options;
  options.maxContacts = 2;
  Registrar small(options, extensions(), digestOptions());
  auto r = request("1001", "c1", 1);
  r.contacts = {contact("sip:a@192.0.2.10"), contact("sip:b@192.0.2.10")};
  BOOST_TEST(small.handleRegister(r, kT0).status == 200);
  r.cseq = 2;
  r.contacts = {contact("sip:c@192.0.2.10")};
  auto result = small.handleRegister(r, kT0);
  BOOST_TEST(result.status == 403);
  BOOST_TEST(result.reason == "Too Many Contacts");
  BOOST_TEST(small.bindingCount() == 2u);
  // Replacing one in the same request fits; refreshing existing ones always fits.
  r.cseq = 3;
  r.contacts = {contact("sip:a@192.0.2.10", 0), contact("sip:c@192.0.2.10")};
  BOOST_TEST(small.handleRegister(r, kT0).status == 200);
  r.cseq = 4;
  r.contacts = {contact("sip:b@192.0.2.10"), contact("sip:c@192.0.2.10"),
                contact("sip:c@192.0.2.10")};
  BOOST_TEST(small.handleRegister(r, kT0).status == 200);
  BOOST_TEST(small.bindingCount() == 2u);

  // The limit lowered under existing bindings: refreshing is fine, growing is not.
  options.maxContacts = 1;
  Registrar lowered(options, extensions(), digestOptions());
  for (const auto& e : small.snapshot()) lowered.restore(e);
  r.cseq = 5;
  r.contacts = {contact("sip:b@192.0.2.10"), contact("sip:c@192.0.2.10")};
  BOOST_TEST(lowered.handleRegister(r, kT0).status == 200);
  r.cseq = 6;
  r.contacts = {contact("sip:d@192.0.2.10")};
  BOOST_TEST(lowered.handleRegister(r, kT0).status == 403);
}

BOOST_AUTO_TEST_CASE(aor_host_is_case_insensitive_user_is_not) {
  auto r = request("1001", "c1", 1);
  r.aorHost = "SIP.Example.COM";
  r.contacts = {contact("sip:a@192.0.2.10")};
  registrar.handleRegister(r, kT0);
  BOOST_TEST(registrar.bindingsOf("1001", "sip.example.com", kT0).size() == 1u);
  BOOST_TEST(registrar.bindingsOf("1001", "other.example.com", kT0).empty());
}

BOOST_AUTO_TEST_CASE(oversized_fields_are_400) {
  const std::string longUri = cat("sip:", std::string(kMaxUriLength, 'a'), "@h");
  auto r = request("1001", "c1", 1);
  r.contacts = {contact(longUri)};
  BOOST_TEST(registrar.handleRegister(r, kT0).status == 400);
  r.contacts = {contact("sip:a@h")};
  r.callId = "";
  BOOST_TEST(registrar.handleRegister(r, kT0).status == 400);
  BOOST_TEST(registrar.counters().badRequest == 2u);
}

BOOST_AUTO_TEST_CASE(expiry_is_driven_by_the_caller) {
  auto r = request("1001", "c1", 1);
  r.contacts = {contact("sip:a@192.0.2.10", 60), contact("sip:b@192.0.2.10", 120)};
  registrar.handleRegister(r, kT0);
  auto r2 = request("1002", "c2", 1);
  r2.contacts = {contact("sip:c@192.0.2.11", 90)};
  registrar.handleRegister(r2, kT0);
  events.clear();

  BOOST_TEST(registrar.nextExpiry().value() == kT0 + 60);
  BOOST_TEST(registrar.expireUntil(kT0 + 59) == 0u);
  BOOST_TEST(registrar.expireUntil(kT0 + 60) == 1u);
  BOOST_TEST_REQUIRE(events.size() == 1u);
  BOOST_TEST(events[0].kind == EventKind::Expired);
  BOOST_TEST(events[0].aor == "1001@sip.example.com");
  BOOST_TEST(events[0].contactUri == "sip:a@192.0.2.10");
  BOOST_TEST(registrar.nextExpiry().value() == kT0 + 90);
  BOOST_TEST(registrar.expireUntil(kT0 + 1000) == 2u);
  BOOST_TEST(!registrar.nextExpiry().has_value());
  BOOST_TEST(registrar.aorCount() == 0u);
  BOOST_TEST(events.back().seq == registrar.sequence());
}

BOOST_AUTO_TEST_CASE(a_late_timer_does_not_revive_expired_bindings) {
  auto r = request("1001", "c1", 1);
  r.contacts = {contact("sip:a@192.0.2.10", 60)};
  registrar.handleRegister(r, kT0);
  auto query = request("1001", "q", 1);
  auto result = registrar.handleRegister(query, kT0 + 61);  // expireUntil not yet called
  BOOST_TEST(result.current.empty());
  BOOST_TEST(events.back().kind == EventKind::Expired);
  BOOST_TEST(result.eventSeq == registrar.sequence());
}

BOOST_AUTO_TEST_CASE(sequence_numbers_increase_by_one) {
  auto r = request("1001", "c1", 1);
  r.contacts = {contact("sip:a@192.0.2.10"), contact("sip:b@192.0.2.10")};
  registrar.handleRegister(r, kT0);
  r.cseq = 2;
  r.contacts = {contact("sip:a@192.0.2.10", 0)};
  registrar.handleRegister(r, kT0);
  BOOST_TEST_REQUIRE(events.size() == 3u);
  for (std::size_t i = 0; i < events.size(); ++i) BOOST_TEST(events[i].seq == i + 1);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(contact_values_for_the_200) {
  std::string q;
  for (std::uint16_t v : {0, 1, 10, 125, 500, 999, 1000}) {
    appendQValue(q, v);
    q.push_back(' ');
  }
  BOOST_TEST(q == "0 0.001 0.01 0.125 0.5 0.999 1 ");
  std::string value;
  appendContactValue(value, Binding{"sip:a@192.0.2.1;transport=tcp", ";+sip.instance=\"x\"", "",
                                    300, std::uint16_t(700)});
  BOOST_TEST(value == "<sip:a@192.0.2.1;transport=tcp>;expires=300;q=0.7;+sip.instance=\"x\"");
}
