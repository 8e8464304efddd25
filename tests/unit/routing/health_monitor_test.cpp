// HealthMonitor: oos-check, oos-force, recovery-timeout driven by a ManualClock.
#include <boost/test/unit_test.hpp>

#include "routing/health_monitor.hpp"
#include "test_support.hpp"
#include "timer/timer_wheel.hpp"

using namespace sipha::routing;
using namespace sipha::routing::test;
using sipha::common::Config;
using sipha::common::DnType;
using sipha::timer::ManualClock;
using sipha::timer::TimePoint;
using sipha::timer::TimerWheel;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

MonitoredContact contact(std::string dn, std::string host, int check, int force, int recovery) {
  MonitoredContact out;
  out.dn = std::move(dn);
  BOOST_REQUIRE(parseContact(host, out.hop).empty());
  out.settings.oosCheck = seconds(check);
  out.settings.oosForce = seconds(force);
  out.settings.recoveryTimeout = seconds(recovery);
  return out;
}

struct Fixture {
  ManualClock clock{TimePoint{seconds(1000)}};
  TimerWheel wheel{clock};
  std::vector<ProbeRequest> probes;
  std::vector<HealthEvent> events;
  std::vector<std::string> eventContacts;
  std::function<void(const ProbeRequest&)> onProbe;
  HealthMonitor monitor{wheel,
                        [this](const ProbeRequest& probe) {
                          probes.push_back(probe);
                          if (onProbe) onProbe(probe);
                        },
                        [this](const HealthEvent& event) {
                          events.push_back(event);
                          eventContacts.emplace_back(event.contact);
                        }};

  // Advances the clock in 100 ms steps (as the event loop would wake), firing due timers.
  void run(milliseconds duration) {
    const auto end = clock.now() + duration;
    while (clock.now() < end) {
      clock.advance(std::min<milliseconds>(milliseconds(100), end - clock.now()));
      wheel.advance();
    }
  }
  HealthState state(HealthId id) { return monitor.status(id)->state; }
};

bool out(Fixture& f, HealthId id) { return f.state(id) == HealthState::OutOfService; }

}  // namespace

BOOST_AUTO_TEST_SUITE(health_monitor)

BOOST_AUTO_TEST_CASE(new_contacts_start_in_service_with_an_event) {
  Fixture f;
  std::vector<MonitoredContact> contacts{contact("gw", "10.0.0.1", 0, 0, 0),
                                         contact("gw", "10.0.0.2;transport=tcp", 0, 0, 0)};
  f.monitor.reconcile(contacts);
  BOOST_TEST(contacts[0].health.valid());
  BOOST_TEST(!(contacts[0].health == contacts[1].health));
  BOOST_TEST_REQUIRE(f.events.size() == 2u);
  BOOST_TEST(f.events[0].seq == 1u);
  BOOST_TEST(f.events[1].seq == 2u);
  BOOST_TEST(f.eventContacts[1] == "sip:10.0.0.2:5060;transport=tcp");
  BOOST_TEST((f.events[0].state == HealthState::InService));
  BOOST_TEST((f.events[0].since == f.clock.now()));
  BOOST_TEST(f.monitor.inService(contacts[0].health));
  f.run(seconds(600));  // no oos-check: never probed
  BOOST_TEST(f.probes.empty());
  BOOST_TEST(f.monitor.size() == 2u);
}

BOOST_AUTO_TEST_CASE(oos_check_probes_every_n_seconds) {
  Fixture f;
  std::vector<MonitoredContact> contacts{contact("gw", "10.0.0.1:5070", 10, 0, 0)};
  f.monitor.reconcile(contacts);
  BOOST_TEST(f.probes.empty());  // not from inside reconcile
  f.run(milliseconds(100));
  BOOST_TEST_REQUIRE(f.probes.size() == 1u);
  BOOST_TEST(f.probes[0].requestUri == "sip:10.0.0.1:5070");
  BOOST_TEST(f.probes[0].dn == "gw");
  BOOST_TEST(f.probes[0].hop->port == 5070);
  BOOST_TEST(f.probes[0].probe == 1u);
  BOOST_TEST((f.probes[0].id == contacts[0].health));
  f.run(seconds(9));
  BOOST_TEST(f.probes.size() == 1u);
  f.run(seconds(1));
  BOOST_TEST(f.probes.size() == 2u);
  f.run(seconds(30));
  BOOST_TEST(f.probes.size() == 5u);
  BOOST_TEST(f.probes.back().probe == 5u);
  // oos-force 0: unanswered probes alone do not take it out of service.
  BOOST_TEST(f.monitor.inService(contacts[0].health));
}

BOOST_AUTO_TEST_CASE(oos_force_marks_out_of_service_and_an_answer_brings_it_back) {
  Fixture f;
  std::vector<MonitoredContact> contacts{contact("gw", "10.0.0.1", 10, 5, 0)};
  f.monitor.reconcile(contacts);
  const auto id = contacts[0].health;
  f.run(milliseconds(100));  // probe 1 at t0
  const auto sent = f.clock.now();
  f.run(milliseconds(4900));
  BOOST_TEST(!out(f, id));
  f.run(milliseconds(100));
  BOOST_TEST(out(f, id));
  BOOST_TEST(!f.monitor.inService(id));
  BOOST_TEST_REQUIRE(f.events.size() == 2u);
  BOOST_TEST((f.events[1].state == HealthState::OutOfService));
  BOOST_TEST((f.events[1].reason == HealthReason::NoAnswer));
  BOOST_TEST((f.events[1].since == sent + seconds(5)));
  BOOST_TEST((f.monitor.status(id)->since == sent + seconds(5)));
  // Probing goes on while out of service; an answer to any probe brings it back.
  f.run(seconds(5));
  BOOST_TEST(f.probes.size() == 2u);
  f.monitor.probeAnswered(id, 2);
  BOOST_TEST(!out(f, id));
  BOOST_TEST_REQUIRE(f.events.size() == 3u);
  BOOST_TEST((f.events[2].reason == HealthReason::Answered));
  BOOST_TEST(f.events[2].seq == 3u);
  BOOST_TEST((f.events[2].since == f.clock.now()));
}

BOOST_AUTO_TEST_CASE(answers_within_oos_force_keep_it_in_service) {
  Fixture f;
  std::vector<MonitoredContact> contacts{contact("gw", "10.0.0.1", 2, 5, 0)};
  f.monitor.reconcile(contacts);
  const auto id = contacts[0].health;
  f.onProbe = [&](const ProbeRequest& probe) { f.monitor.probeAnswered(probe.id, probe.probe); };
  f.run(seconds(60));
  BOOST_TEST(f.probes.size() == 30u);  // at 0.1 s, then every 2 s
  BOOST_TEST(!out(f, id));
  BOOST_TEST(f.events.size() == 1u);  // only the creation
  // The peer stops answering: out of service oos-force after the first unanswered probe.
  f.onProbe = nullptr;
  const auto firstUnanswered = f.clock.now() + seconds(2);
  f.run(seconds(7));
  BOOST_TEST(out(f, id));
  BOOST_TEST((f.monitor.status(id)->since <= firstUnanswered + seconds(5)));
  // A late answer to an older probe is still an answer.
  f.monitor.probeAnswered(id, 31);
  BOOST_TEST(!out(f, id));
  // Answers to probes never sent are ignored.
  f.run(seconds(10));
  BOOST_TEST(out(f, id));
  f.monitor.probeAnswered(id, 1000);
  BOOST_TEST(out(f, id));
}

BOOST_AUTO_TEST_CASE(probe_failure_reported_by_the_owner) {
  Fixture f;
  std::vector<MonitoredContact> contacts{contact("gw", "10.0.0.1", 10, 0, 0)};
  f.monitor.reconcile(contacts);
  const auto id = contacts[0].health;
  f.run(seconds(11));            // probes 1 and 2
  f.monitor.probeFailed(id, 1);  // not the latest: ignored
  BOOST_TEST(!out(f, id));
  f.monitor.probeAnswered(id, 2);
  f.monitor.probeFailed(id, 2);  // answered already: ignored
  BOOST_TEST(!out(f, id));
  f.run(seconds(10));  // probe 3
  f.monitor.probeFailed(id, 3);
  BOOST_TEST(out(f, id));
  BOOST_TEST((f.events.back().reason == HealthReason::ProbeFailed));
  // Synchronous failure from inside the send (e.g. connection refused) works too.
  f.monitor.probeAnswered(id, 3);
  BOOST_TEST(!out(f, id));
  f.onProbe = [&](const ProbeRequest& probe) { f.monitor.probeFailed(probe.id, probe.probe); };
  f.run(seconds(10));
  BOOST_TEST(out(f, id));
}

BOOST_AUTO_TEST_CASE(recovery_timeout_holds_out_after_a_call_error) {
  Fixture f;
  std::vector<MonitoredContact> contacts{contact("gw", "10.0.0.1", 0, 0, 60)};
  f.monitor.reconcile(contacts);
  const auto id = contacts[0].health;
  f.monitor.callResult(id, 486);  // an answer, not an error
  f.monitor.callResult(id, 603);
  BOOST_TEST(!out(f, id));
  f.monitor.callResult(id, 503);
  BOOST_TEST(out(f, id));
  BOOST_TEST((f.events.back().reason == HealthReason::CallError));
  BOOST_TEST(f.monitor.status(id)->holding);
  f.run(seconds(30));
  f.monitor.callResult(id, 200);  // an answer does not shorten the hold
  BOOST_TEST(out(f, id));
  f.run(seconds(30));
  BOOST_TEST(!out(f, id));
  BOOST_TEST((f.events.back().reason == HealthReason::RecoveryElapsed));
  BOOST_TEST((f.events.back().since == TimePoint{seconds(1060)}));
  // Timeout (0) and 408 are errors; a second error restarts the hold.
  f.monitor.callResult(id, 0);
  f.run(seconds(50));
  f.monitor.callResult(id, 408);
  f.run(seconds(50));
  BOOST_TEST(out(f, id));
  f.run(seconds(10));
  BOOST_TEST(!out(f, id));
  BOOST_TEST(f.events.size() == 5u);  // creation, out, in, out, in: no event for the restart
}

BOOST_AUTO_TEST_CASE(recovery_timeout_zero_means_no_hold) {
  Fixture f;
  std::vector<MonitoredContact> contacts{contact("gw", "10.0.0.1", 0, 0, 0)};
  f.monitor.reconcile(contacts);
  f.monitor.callResult(contacts[0].health, 500);
  BOOST_TEST(f.monitor.inService(contacts[0].health));
}

BOOST_AUTO_TEST_CASE(hold_end_with_unanswered_probes_stays_out) {
  Fixture f;
  std::vector<MonitoredContact> contacts{contact("gw", "10.0.0.1", 5, 2, 10)};
  f.monitor.reconcile(contacts);
  const auto id = contacts[0].health;
  f.run(milliseconds(100));
  f.monitor.probeAnswered(id, 1);
  f.monitor.callResult(id, 502);
  BOOST_TEST(out(f, id));
  f.run(seconds(12));  // probes unanswered during the hold
  BOOST_TEST(out(f, id));
  BOOST_TEST(f.events.size() == 2u);
  f.monitor.probeAnswered(id, f.probes.back().probe);
  BOOST_TEST(!out(f, id));
}

BOOST_AUTO_TEST_CASE(reconcile_keeps_state_drops_vanished_and_restarts_changed_probing) {
  Fixture f;
  std::vector<MonitoredContact> contacts{contact("gw", "10.0.0.1", 10, 5, 0),
                                         contact("gw", "10.0.0.2", 10, 5, 0),
                                         contact("old", "10.0.0.3", 10, 5, 0)};
  f.monitor.reconcile(contacts);
  const auto first = contacts[0].health;
  const auto removed = contacts[2].health;
  f.run(seconds(6));  // every probe unanswered: all out of service
  BOOST_TEST(out(f, first));
  const auto since = f.monitor.status(first)->since;
  const auto probesBefore = f.probes.size();

  std::vector<MonitoredContact> reloaded{contact("gw", "10.0.0.1", 10, 5, 0),
                                         contact("gw", "10.0.0.2", 20, 5, 0),
                                         contact("new", "10.0.0.4", 0, 0, 0)};
  const auto eventsBefore = f.events.size();
  f.monitor.reconcile(reloaded);
  BOOST_TEST((reloaded[0].health == first));  // same id, same state, same since
  BOOST_TEST(out(f, first));
  BOOST_TEST((f.monitor.status(first)->since == since));
  BOOST_TEST(!out(f, reloaded[1].health));  // probing changed: in service until told
  BOOST_TEST(f.monitor.inService(reloaded[2].health));
  BOOST_TEST(f.events.size() == eventsBefore + 2);  // 10.0.0.2 back in, 10.0.0.4 created
  BOOST_TEST(f.monitor.size() == 3u);
  // The removed contact's id is stale: no status, outcomes ignored, no more probes.
  BOOST_TEST(!f.monitor.status(removed).has_value());
  BOOST_TEST(f.monitor.inService(removed));
  f.monitor.callResult(removed, 503);
  f.run(seconds(4));  // 10.0.0.1's probe at 10 s; 10.0.0.2 restarted at once
  for (std::size_t i = probesBefore; i < f.probes.size(); ++i) {
    BOOST_TEST(f.probes[i].dn == "gw");
  }
  BOOST_TEST(f.probes.size() == probesBefore + 1);
  // A recycled slot gets a new generation: the old id does not alias the new contact.
  std::vector<MonitoredContact> again{contact("x", "10.0.0.9", 0, 0, 30)};
  f.monitor.reconcile(again);
  BOOST_TEST(f.monitor.size() == 1u);
  BOOST_TEST(!(again[0].health == removed));
  f.monitor.callResult(reloaded[0].health, 503);
  BOOST_TEST(f.monitor.inService(again[0].health));
}

BOOST_AUTO_TEST_CASE(statuses_for_dbus) {
  Fixture f;
  std::vector<MonitoredContact> contacts{contact("a", "10.0.0.1", 0, 0, 5),
                                         contact("b", "10.0.0.2", 0, 0, 5)};
  f.monitor.reconcile(contacts);
  f.monitor.callResult(contacts[1].health, 500);
  const auto all = f.monitor.statuses();
  BOOST_TEST_REQUIRE(all.size() == 2u);
  BOOST_TEST(all[0].dn == "a");
  BOOST_TEST(stateName(all[0].state) == "in-service");
  BOOST_TEST(all[1].contact == "sip:10.0.0.2:5060");
  BOOST_TEST(stateName(all[1].state) == "out-of-service");
  BOOST_TEST(reasonName(all[1].reason) == "call-error");
}

BOOST_AUTO_TEST_CASE(backup_does_not_probe_and_takes_the_primarys_state) {
  Fixture f;
  f.monitor.setProbing(false);
  std::vector<MonitoredContact> contacts{contact("gw", "10.0.0.1", 5, 2, 0),
                                         contact("gw", "10.0.0.2", 5, 2, 0)};
  f.monitor.reconcile(contacts);
  f.run(seconds(30));
  BOOST_TEST(f.probes.empty());
  BOOST_TEST(!out(f, contacts[0].health));  // no oos-force without probes
  BOOST_TEST(f.monitor.applyRemote("gw", "sip:10.0.0.1:5060", HealthState::OutOfService,
                                   HealthReason::NoAnswer));
  BOOST_TEST(!f.monitor.applyRemote("gw", "sip:10.9.9.9:5060", HealthState::OutOfService,
                                    HealthReason::NoAnswer));
  BOOST_TEST(out(f, contacts[0].health));
  BOOST_TEST((f.monitor.status(contacts[0].health)->since == f.clock.now()));
  BOOST_TEST((f.monitor.status(contacts[0].health)->reason == HealthReason::NoAnswer));
  BOOST_TEST(!out(f, contacts[1].health));
  // Switchover: probing starts; the first answer brings the contact back.
  f.monitor.setProbing(true);
  f.run(milliseconds(100));
  BOOST_TEST(f.probes.size() == 2u);
  f.monitor.probeAnswered(contacts[0].health, f.probes[0].probe);
  BOOST_TEST(!out(f, contacts[0].health));
  // Back to backup: probes stop, no oos-force fires for the unanswered one.
  f.monitor.setProbing(false);
  f.run(seconds(30));
  BOOST_TEST(f.probes.size() == 2u);
  BOOST_TEST(!out(f, contacts[1].health));
}

BOOST_AUTO_TEST_CASE(table_and_monitor_together_fail_over) {
  Config config;
  addDn(config, "gw-a", DnType::Trunk,
        {{"prefix", "9"},
         {"priority", "1"},
         {"contact", "10.0.0.1"},
         {"contact-backup", "10.0.0.2"},
         {"oos-check", "10"},
         {"oos-force", "3"}});
  addDn(config, "gw-b", DnType::Trunk,
        {{"prefix", "9"}, {"priority", "2"}, {"contact", "10.0.0.3"}, {"recovery-timeout", "60"}});
  auto table = buildClean(config);
  Fixture f;
  f.monitor.reconcile(table.monitoredContacts());
  FakeRegistrations registrations;
  f.onProbe = [&](const ProbeRequest& probe) {
    if (probe.hop->host == "10.0.0.2") f.monitor.probeAnswered(probe.id, probe.probe);
  };
  f.run(seconds(4));  // 10.0.0.1 silent for 3 s
  auto result = table.route("91", registrations.lookup(), &f.monitor);
  BOOST_TEST_REQUIRE(result.attempts.size() == 2u);
  BOOST_TEST(result.attempts[0].hop.host == "10.0.0.2");
  BOOST_TEST(result.attempts[1].hop.host == "10.0.0.3");
  // A 503 on the call through 10.0.0.2 is reported; it has no recovery-timeout, so it stays.
  f.monitor.callResult(result.attempts[0].health, 503);
  // 10.0.0.3 times out: held out for its recovery-timeout.
  f.monitor.callResult(result.attempts[1].health, 0);
  result = table.route("91", registrations.lookup(), &f.monitor);
  BOOST_TEST_REQUIRE(result.attempts.size() == 1u);
  BOOST_TEST(result.attempts[0].hop.host == "10.0.0.2");
  f.onProbe = nullptr;  // 10.0.0.2 goes silent too
  f.run(seconds(14));
  BOOST_TEST(table.route("91", registrations.lookup(), &f.monitor).status == 503);
  f.run(seconds(50));  // gw-b's hold over
  result = table.route("91", registrations.lookup(), &f.monitor);
  BOOST_TEST_REQUIRE(result.attempts.size() == 1u);
  BOOST_TEST(result.attempts[0].dn == "gw-b");
}

BOOST_AUTO_TEST_SUITE_END()
