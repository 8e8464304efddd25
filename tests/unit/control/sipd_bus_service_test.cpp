// SipdBusService against a real private dbus-daemon (tests/data/dbus/system-test.conf).
#define BOOST_TEST_MODULE control
#include <boost/test/unit_test.hpp>
#include <cerrno>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "bus_client.hpp"
#include "control/bus_names.hpp"
#include "control/sipd_bus_service.hpp"
#include "event_loop.hpp"
#include "private_bus.hpp"

namespace sipha::control::test {
namespace {

// The daemon side of the tests: state the handlers read and record.
struct FakeDaemon {
  Role role = Role::Backup;
  std::uint64_t epoch = 5;
  std::uint64_t bindings = 3;
  double callsPerSecond = 12.5;
  std::vector<std::pair<Role, std::uint64_t>> setRoleCalls;
  int reloadCalls = 0;
  CallResult reloadResult;
  std::vector<std::uint32_t> stopTimeouts;
  DeferredReply pendingStop;  // StopTakingTransactions, answered by the test
  CallResult stopAtOnce;      // ... or at once when this is an error
  bool taking = true;
  int resumeCalls = 0;

  SipdHandlers handlers() {
    SipdHandlers h;
    h.setRole = [this](Role newRole, std::uint64_t newEpoch) {
      setRoleCalls.emplace_back(newRole, newEpoch);
      if (newEpoch < epoch) {
        return CallResult::failure(bus::kErrorStaleEpoch, "epoch " + std::to_string(newEpoch) +
                                                              " < " + std::to_string(epoch));
      }
      role = newRole;
      epoch = newEpoch;
      return CallResult::success();
    };
    h.reload = [this] {
      ++reloadCalls;
      return reloadResult;
    };
    h.stopTakingTransactions = [this](std::uint32_t timeoutMs, DeferredReply reply) {
      stopTimeouts.push_back(timeoutMs);
      if (!stopAtOnce.ok()) {
        reply(stopAtOnce);
        return;
      }
      taking = false;
      pendingStop = std::move(reply);
    };
    h.resumeTakingTransactions = [this] {
      ++resumeCalls;
      taking = true;
      return CallResult::success();
    };
    h.takingTransactions = [this] { return taking; };
    h.counters = [] { return std::vector<CounterValue>{{"udp.rx", 42}, {"parse.errors", 1}}; };
    h.optionsSources = [] {
      return std::vector<OptionsSource>{{"10.0.0.2:5060", 17, 1'700'000'000'000'000}};
    };
    h.droppedSources = [] {
      return std::vector<DroppedSource>{{"10.0.0.3:5060", 4}, {"10.0.0.4:5060", 9}};
    };
    h.role = [this] { return role; };
    h.epoch = [this] { return epoch; };
    h.bindings = [this] { return bindings; };
    h.callsPerSecond = [this] { return callsPerSecond; };
    h.trunks = [] {
      return std::vector<TrunkState>{
          {"gw1", "sip:10.0.0.5:5060", "out-of-service", "no-answer", 1'700'000'000'000'001}};
    };
    h.calls = [] {
      return std::vector<CallState>{{"abc@10.0.0.7", "confirmed", "sip:7001@10.0.0.7",
                                     "sip:8123@10.0.0.5", 1'700'000'000'000'002}};
    };
    return h;
  }
};

// A private bus, a service in state Ready, and a client, all on one sd-event loop.
struct ServiceFixture {
  PrivateBus privateBus;
  EventPtr event = newEvent();
  FakeDaemon daemon;
  std::vector<std::string> warnings;
  SipdBusService service{daemon.handlers(),
                         [this](std::string_view w) { warnings.emplace_back(w); }};
  std::unique_ptr<BusClient> client;

  ServiceFixture() {
    BOOST_TEST_REQUIRE(service.start(event.get()) == 0);
    BOOST_TEST_REQUIRE(
        runUntil(event.get(), [&] { return service.state() != BusState::Connecting; }));
    BOOST_TEST_REQUIRE(busStateName(service.state()) == "ready");
    client = std::make_unique<BusClient>(event.get());
  }
  ~ServiceFixture() {
    client.reset();
    service.stop();
  }
};

int appendRole(sd_bus_message* m, const char* role, std::uint64_t epoch) {
  return sd_bus_message_append(m, "st", role, epoch);
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(sipd_bus_service, ServiceFixture)

BOOST_AUTO_TEST_CASE(set_role_reaches_the_handler_with_its_arguments) {
  const Reply reply =
      client->call("SetRole", [](sd_bus_message* m) { return appendRole(m, "primary", 7); });
  BOOST_TEST(reply.errorName == "");
  BOOST_TEST_REQUIRE(daemon.setRoleCalls.size() == 1u);
  BOOST_TEST((daemon.setRoleCalls[0].first == Role::Primary));
  BOOST_TEST(daemon.setRoleCalls[0].second == 7u);
  BOOST_TEST(client->getString("Role") == "primary");
  BOOST_TEST(client->getUint64("Epoch") == 7u);
  BOOST_TEST(warnings.empty());
}

BOOST_AUTO_TEST_CASE(stale_epoch_from_the_handler_reaches_the_client) {
  const Reply reply =
      client->call("SetRole", [](sd_bus_message* m) { return appendRole(m, "primary", 4); });
  BOOST_TEST(reply.errorName == "org.sipha.Error.StaleEpoch");
  BOOST_TEST(reply.errorMessage == "epoch 4 < 5");
  BOOST_TEST(daemon.setRoleCalls.size() == 1u);
  BOOST_TEST(client->getString("Role") == "backup");
}

BOOST_AUTO_TEST_CASE(unknown_role_is_an_invalid_argument_and_skips_the_handler) {
  for (const char* bad : {"master", "Primary", ""}) {
    const Reply reply =
        client->call("SetRole", [bad](sd_bus_message* m) { return appendRole(m, bad, 9); });
    BOOST_TEST(reply.errorName == "org.sipha.Error.InvalidArgument");
  }
  BOOST_TEST(daemon.setRoleCalls.empty());
}

BOOST_AUTO_TEST_CASE(set_role_with_wrong_signature_is_refused) {
  const Reply reply =
      client->call("SetRole", [](sd_bus_message* m) { return sd_bus_message_append(m, "s", "x"); });
  BOOST_TEST(reply.errorName == "org.freedesktop.DBus.Error.InvalidArgs");
  BOOST_TEST(daemon.setRoleCalls.empty());
}

BOOST_AUTO_TEST_CASE(reload_passes_config_errors_through) {
  daemon.reloadResult = CallResult::failure(
      bus::kErrorConfigInvalid, "/etc/sipha/sipha.conf:12: option 'sip-port': not a port");
  Reply reply = client->call("Reload");
  BOOST_TEST(reply.errorName == "org.sipha.Error.ConfigInvalid");
  BOOST_TEST(reply.errorMessage == "/etc/sipha/sipha.conf:12: option 'sip-port': not a port");
  daemon.reloadResult = CallResult::success();
  reply = client->call("Reload");
  BOOST_TEST(reply.errorName == "");
  BOOST_TEST(daemon.reloadCalls == 2);
}

BOOST_AUTO_TEST_CASE(properties_read_back) {
  BOOST_TEST(client->getString("Role") == "backup");
  BOOST_TEST(client->getUint64("Epoch") == 5u);
  BOOST_TEST(client->getUint64("Bindings") == 3u);
  daemon.bindings = 11;
  BOOST_TEST(client->getUint64("Bindings") == 11u);
  BOOST_TEST(client->getDouble("CallsPerSecond") == 12.5);
  const auto counters = client->getCounters();
  BOOST_TEST(counters.size() == 2u);
  BOOST_TEST(counters.at("udp.rx") == 42u);
  BOOST_TEST(counters.at("parse.errors") == 1u);
}

BOOST_AUTO_TEST_CASE(options_and_dropped_sources_are_listed) {
  Reply reply = client->call("GetOptionsSources");
  BOOST_TEST_REQUIRE(reply.errorName == "");
  sd_bus_message* m = reply.message.get();
  BOOST_TEST_REQUIRE(sd_bus_message_enter_container(m, 'a', "(stt)") > 0);
  const char* source = nullptr;
  std::uint64_t count = 0;
  std::uint64_t lastUsec = 0;
  BOOST_TEST_REQUIRE(sd_bus_message_read(m, "(stt)", &source, &count, &lastUsec) > 0);
  BOOST_TEST(std::string{source} == "10.0.0.2:5060");
  BOOST_TEST(count == 17u);
  BOOST_TEST(lastUsec == 1'700'000'000'000'000u);
  BOOST_TEST(sd_bus_message_read(m, "(stt)", &source, &count, &lastUsec) == 0);

  reply = client->call("GetDroppedSources");
  BOOST_TEST_REQUIRE(reply.errorName == "");
  m = reply.message.get();
  BOOST_TEST_REQUIRE(sd_bus_message_enter_container(m, 'a', "(st)") > 0);
  std::vector<std::pair<std::string, std::uint64_t>> dropped;
  while (sd_bus_message_read(m, "(st)", &source, &count) > 0) dropped.emplace_back(source, count);
  BOOST_TEST_REQUIRE(dropped.size() == 2u);
  BOOST_TEST(dropped[1].first == "10.0.0.4:5060");
  BOOST_TEST(dropped[1].second == 9u);
}

BOOST_AUTO_TEST_CASE(trunks_and_calls_are_listed) {
  Reply reply = client->call("GetTrunks");
  BOOST_TEST_REQUIRE(reply.errorName == "");
  sd_bus_message* m = reply.message.get();
  BOOST_TEST_REQUIRE(sd_bus_message_enter_container(m, 'a', "(sssst)") > 0);
  const char* text[4] = {};
  std::uint64_t since = 0;
  BOOST_TEST_REQUIRE(
      sd_bus_message_read(m, "(sssst)", &text[0], &text[1], &text[2], &text[3], &since) > 0);
  BOOST_TEST(std::string{text[0]} == "gw1");
  BOOST_TEST(std::string{text[2]} == "out-of-service");
  BOOST_TEST(std::string{text[3]} == "no-answer");
  BOOST_TEST(since == 1'700'000'000'000'001u);

  reply = client->call("GetCalls");
  BOOST_TEST_REQUIRE(reply.errorName == "");
  m = reply.message.get();
  BOOST_TEST_REQUIRE(sd_bus_message_enter_container(m, 'a', "(sssst)") > 0);
  BOOST_TEST_REQUIRE(
      sd_bus_message_read(m, "(sssst)", &text[0], &text[1], &text[2], &text[3], &since) > 0);
  BOOST_TEST(std::string{text[0]} == "abc@10.0.0.7");
  BOOST_TEST(std::string{text[1]} == "confirmed");
  BOOST_TEST(std::string{text[2]} == "sip:7001@10.0.0.7");
  BOOST_TEST(std::string{text[3]} == "sip:8123@10.0.0.5");
  BOOST_TEST(since == 1'700'000'000'000'002u);
  BOOST_TEST(sd_bus_message_read(m, "(sssst)", &text[0], &text[1], &text[2], &text[3], &since) ==
             0);
}

BOOST_AUTO_TEST_CASE(role_changed_and_properties_changed_reach_a_matching_client) {
  struct Seen {
    std::string role;
    std::uint64_t epoch = 0;
    bool roleChanged = false;
    std::vector<std::string> changedProperties;
  } seen;
  sd_bus_slot* roleSlot = nullptr;
  sd_bus_slot* propsSlot = nullptr;
  BOOST_TEST_REQUIRE(sd_bus_match_signal(
                         client->bus(), &roleSlot, bus::kServiceName, bus::kObjectPath,
                         bus::kInterface, "RoleChanged",
                         [](sd_bus_message* m, void* userdata, sd_bus_error*) {
                           auto* s = static_cast<Seen*>(userdata);
                           const char* role = nullptr;
                           if (sd_bus_message_read(m, "st", &role, &s->epoch) > 0) {
                             s->role = role;
                             s->roleChanged = true;
                           }
                           return 0;
                         },
                         &seen) >= 0);
  BOOST_TEST_REQUIRE(sd_bus_match_signal(
                         client->bus(), &propsSlot, bus::kServiceName, bus::kObjectPath,
                         "org.freedesktop.DBus.Properties", "PropertiesChanged",
                         [](sd_bus_message* m, void* userdata, sd_bus_error*) {
                           auto* s = static_cast<Seen*>(userdata);
                           const char* interface = nullptr;
                           if (sd_bus_message_read(m, "s", &interface) <= 0) return 0;
                           if (sd_bus_message_enter_container(m, 'a', "{sv}") <= 0) return 0;
                           while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
                             const char* name = nullptr;
                             sd_bus_message_read(m, "s", &name);
                             s->changedProperties.emplace_back(name);
                             sd_bus_message_skip(m, "v");
                             sd_bus_message_exit_container(m);
                           }
                           return 0;
                         },
                         &seen) >= 0);

  daemon.role = Role::Primary;
  daemon.epoch = 8;
  BOOST_TEST_REQUIRE(service.emitRoleChanged(Role::Primary, 8) >= 0);
  BOOST_TEST_REQUIRE(runUntil(
      event.get(), [&] { return seen.roleChanged && seen.changedProperties.size() >= 2; }));
  BOOST_TEST(seen.role == "primary");
  BOOST_TEST(seen.epoch == 8u);
  BOOST_TEST((seen.changedProperties == std::vector<std::string>{"Role", "Epoch"}));
  sd_bus_slot_unref(roleSlot);
  sd_bus_slot_unref(propsSlot);
}

// StopTakingTransactions is answered when the daemon says so (after the drain), not when its
// handler returns; the service answers other calls meanwhile, and only the first answer counts.
BOOST_AUTO_TEST_CASE(stop_taking_transactions_is_answered_later) {
  const auto timeout = [](std::uint32_t ms) {
    return [ms](sd_bus_message* m) { return sd_bus_message_append(m, "u", ms); };
  };
  BOOST_TEST(client->getBool("TakingTransactions"));
  Reply reply;
  sd_bus_slot* slot = client->callAsync("StopTakingTransactions", timeout(1500), reply);
  BOOST_TEST_REQUIRE(runUntil(event.get(), [&] { return bool{daemon.pendingStop}; }));
  BOOST_TEST((daemon.stopTimeouts == std::vector<std::uint32_t>{1500}));
  drain(event.get());
  BOOST_TEST(!reply.arrived);
  BOOST_TEST(!client->getBool("TakingTransactions"));
  BOOST_TEST(client->getString("Role") == "backup");
  daemon.pendingStop(CallResult::success());
  daemon.pendingStop(CallResult::failure(bus::kErrorDrainTimeout, "ignored: answered already"));
  BOOST_TEST_REQUIRE(runUntil(event.get(), [&] { return reply.arrived; }));
  BOOST_TEST(reply.errorName == "");
  sd_bus_slot_unref(slot);

  // A later error answer carries its name and message.
  daemon.pendingStop = {};
  Reply late;
  slot = client->callAsync("StopTakingTransactions", timeout(20), late);
  BOOST_TEST_REQUIRE(runUntil(event.get(), [&] { return bool{daemon.pendingStop}; }));
  daemon.pendingStop(CallResult::failure(bus::kErrorDrainTimeout, "not within 20 ms"));
  BOOST_TEST_REQUIRE(runUntil(event.get(), [&] { return late.arrived; }));
  BOOST_TEST(late.errorName == "org.sipha.Sipd1.DrainTimeout");
  BOOST_TEST(late.errorMessage == "not within 20 ms");
  sd_bus_slot_unref(slot);

  // An answer given at once, from inside the handler, works the same.
  daemon.stopAtOnce = CallResult::failure(bus::kErrorNotPrimary, "this node is backup");
  const Reply refused = client->call("StopTakingTransactions", timeout(100));
  BOOST_TEST(refused.errorName == "org.sipha.Sipd1.NotPrimary");
  BOOST_TEST(refused.errorMessage == "this node is backup");

  BOOST_TEST(client->call("ResumeTakingTransactions").errorName == "");
  BOOST_TEST(daemon.resumeCalls == 1);
  BOOST_TEST(client->getBool("TakingTransactions"));
  const Reply wrong = client->call("StopTakingTransactions", [](sd_bus_message* m) {
    return sd_bus_message_append(m, "s", "x");
  });
  BOOST_TEST(wrong.errorName == "org.freedesktop.DBus.Error.InvalidArgs");
  BOOST_TEST(daemon.stopTimeouts.size() == 3u);
}

BOOST_AUTO_TEST_CASE(taking_transactions_changes_are_signalled) {
  std::vector<std::string> changed;
  sd_bus_slot* slot = nullptr;
  BOOST_TEST_REQUIRE(sd_bus_match_signal(
                         client->bus(), &slot, bus::kServiceName, bus::kObjectPath,
                         "org.freedesktop.DBus.Properties", "PropertiesChanged",
                         [](sd_bus_message* m, void* userdata, sd_bus_error*) {
                           auto* names = static_cast<std::vector<std::string>*>(userdata);
                           const char* interface = nullptr;
                           if (sd_bus_message_read(m, "s", &interface) <= 0) return 0;
                           if (sd_bus_message_enter_container(m, 'a', "{sv}") <= 0) return 0;
                           while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
                             const char* name = nullptr;
                             sd_bus_message_read(m, "s", &name);
                             names->emplace_back(name);
                             sd_bus_message_skip(m, "v");
                             sd_bus_message_exit_container(m);
                           }
                           return 0;
                         },
                         &changed) >= 0);
  daemon.taking = false;
  BOOST_TEST_REQUIRE(service.emitTakingTransactionsChanged() >= 0);
  BOOST_TEST_REQUIRE(runUntil(event.get(), [&] { return !changed.empty(); }));
  BOOST_TEST((changed == std::vector<std::string>{"TakingTransactions"}));
  sd_bus_slot_unref(slot);
}

BOOST_AUTO_TEST_CASE(a_throwing_handler_becomes_a_failed_error_and_the_service_lives_on) {
  SipdHandlers h;
  h.setRole = [](Role, std::uint64_t) -> CallResult { throw std::runtime_error("boom"); };
  h.reload = [] { return CallResult::failure("not a valid name", "detail"); };
  // A second object on another connection would need another name: swap this fixture's service.
  service.stop();
  SipdBusService throwing{h};
  BOOST_TEST_REQUIRE(throwing.start(event.get()) == 0);
  BOOST_TEST_REQUIRE(runUntil(event.get(), [&] { return throwing.state() == BusState::Ready; }));

  Reply reply =
      client->call("SetRole", [](sd_bus_message* m) { return appendRole(m, "backup", 1); });
  BOOST_TEST(reply.errorName == "org.freedesktop.DBus.Error.Failed");
  BOOST_TEST(reply.errorMessage == "handler failed: boom");

  reply = client->call("Reload");
  BOOST_TEST(reply.errorName == "org.freedesktop.DBus.Error.Failed");
  BOOST_TEST(reply.errorMessage == "not a valid name: detail");

  reply = client->call("GetDroppedSources");  // no handler: an empty list
  BOOST_TEST(reply.errorName == "");
  BOOST_TEST(client->getString("Role") == "backup");  // no handler: the neutral value
  BOOST_TEST(client->getUint64("Epoch") == 0u);
}

BOOST_AUTO_TEST_CASE(missing_method_handler_is_not_supported) {
  service.stop();
  SipdBusService empty{SipdHandlers{}};
  BOOST_TEST_REQUIRE(empty.start(event.get()) == 0);
  BOOST_TEST_REQUIRE(runUntil(event.get(), [&] { return empty.state() == BusState::Ready; }));
  const Reply reply = client->call("Reload");
  BOOST_TEST(reply.errorName == "org.freedesktop.DBus.Error.NotSupported");
  const Reply stop = client->call("StopTakingTransactions", [](sd_bus_message* m) {
    return sd_bus_message_append(m, "u", 100u);
  });
  BOOST_TEST(stop.errorName == "org.freedesktop.DBus.Error.NotSupported");
  BOOST_TEST(!client->getBool("TakingTransactions"));  // no handler: the neutral value
}

BOOST_AUTO_TEST_CASE(losing_the_bus_is_reported_once_and_not_fatal) {
  privateBus.stop();
  BOOST_TEST_REQUIRE(
      runUntil(event.get(), [&] { return service.state() == BusState::Unavailable; }));
  // Let the deferred close and any late callbacks run: still exactly one warning.
  drain(event.get());
  BOOST_TEST_REQUIRE(warnings.size() == 1u);
  BOOST_TEST(warnings[0].find("running without D-Bus") != std::string::npos);
  BOOST_TEST(service.emitRoleChanged(Role::Primary, 9) == -ENOTCONN);
  BOOST_TEST(warnings.size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(sipd_bus_service_without_bus)

BOOST_AUTO_TEST_CASE(unreachable_bus_is_reported_once_and_does_not_throw) {
  PrivateBus privateBus;  // only for its temp dir and the environment restore
  privateBus.stop();
  const std::string missing = "unix:path=" + privateBus.directory() + "/no-such-socket";
  setenv("DBUS_SYSTEM_BUS_ADDRESS", missing.c_str(), 1);
  EventPtr event = newEvent();
  FakeDaemon daemon;
  std::vector<std::string> warnings;
  SipdBusService service{daemon.handlers(), [&](std::string_view w) { warnings.emplace_back(w); }};
  int r = 0;
  BOOST_CHECK_NO_THROW(r = service.start(event.get()));
  BOOST_TEST(r < 0);
  BOOST_TEST((service.state() == BusState::Unavailable));
  drain(event.get());
  BOOST_TEST_REQUIRE(warnings.size() == 1u);
  BOOST_TEST(warnings[0].find("cannot connect to the system bus") != std::string::npos);
  BOOST_TEST(service.emitRoleChanged(Role::Primary, 1) == -ENOTCONN);
  BOOST_TEST(warnings.size() == 1u);
}

BOOST_AUTO_TEST_CASE(name_owned_by_another_process_is_reported_once) {
  PrivateBus privateBus;
  EventPtr event = newEvent();
  sd_bus* squatter = nullptr;
  BOOST_TEST_REQUIRE(sd_bus_open_system(&squatter) >= 0);
  BOOST_TEST_REQUIRE(sd_bus_request_name(squatter, bus::kServiceName, 0) >= 0);
  std::vector<std::string> warnings;
  SipdBusService service{SipdHandlers{}, [&](std::string_view w) { warnings.emplace_back(w); }};
  BOOST_TEST_REQUIRE(service.start(event.get()) == 0);
  BOOST_TEST((service.state() == BusState::Connecting));
  BOOST_TEST_REQUIRE(
      runUntil(event.get(), [&] { return service.state() != BusState::Connecting; }));
  BOOST_TEST((service.state() == BusState::Unavailable));
  drain(event.get());
  BOOST_TEST_REQUIRE(warnings.size() == 1u);
  BOOST_TEST(warnings[0].find("owned by another process") != std::string::npos);
  sd_bus_flush_close_unref(squatter);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace sipha::control::test
