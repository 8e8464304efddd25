#include "siphactl/agent_client.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace sipha::siphactl {
namespace {

constexpr const char* kPropertiesInterface = "org.freedesktop.DBus.Properties";

struct MessageUnref {
  void operator()(sd_bus_message* m) const noexcept { sd_bus_message_unref(m); }
};
using MessagePtr = std::unique_ptr<sd_bus_message, MessageUnref>;

// An sd_bus_error freed on scope exit.
struct ScopedError {
  sd_bus_error error = SD_BUS_ERROR_NULL;
  ~ScopedError() { sd_bus_error_free(&error); }
};

bool isAny(const sd_bus_error* error, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    if (sd_bus_error_has_name(error, name)) return true;
  }
  return false;
}

ClientError protocolError(std::string message) {
  return {ErrorKind::Protocol, {}, std::move(message)};
}

template <typename T>
Outcome<T> failed(ClientError error) {
  return {std::nullopt, std::move(error)};
}

}  // namespace

std::string systemBusAddress() {
  const char* fromEnvironment = std::getenv("DBUS_SYSTEM_BUS_ADDRESS");
  if (fromEnvironment != nullptr && *fromEnvironment != '\0') return fromEnvironment;
  return "unix:path=/run/dbus/system_bus_socket";
}

ClientError classifyError(int r, const sd_bus_error* error) {
  ClientError result;
  const bool named = error != nullptr && sd_bus_error_is_set(error);
  if (named) {
    result.name = error->name;
    result.message = error->message != nullptr ? error->message : "";
  } else {
    result.message = std::strerror(r < 0 ? -r : r);
  }
  // sd-bus names a local failure after its errno ("System.Error.ENOTCONN"): not an answer.
  const bool answered = named && std::strncmp(error->name, "System.Error.", 13) != 0;
  if (!answered) {
    result.kind = r == -ETIMEDOUT ? ErrorKind::Timeout : ErrorKind::BusUnreachable;
  } else if (isAny(error, {SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER})) {
    result.kind = ErrorKind::AgentAbsent;
  } else if (sd_bus_error_has_name(error, SD_BUS_ERROR_ACCESS_DENIED)) {
    result.kind = ErrorKind::AccessDenied;
  } else if (isAny(error, {SD_BUS_ERROR_NO_REPLY, SD_BUS_ERROR_TIMEOUT})) {
    result.kind = ErrorKind::Timeout;
  } else if (sd_bus_error_has_name(error, kErrorSwitchoverRefused)) {
    result.kind = ErrorKind::Refused;
  } else if (sd_bus_error_has_name(error, kErrorSwitchoverAbandoned)) {
    result.kind = ErrorKind::Abandoned;
  } else if (isAny(error, {SD_BUS_ERROR_UNKNOWN_METHOD, SD_BUS_ERROR_UNKNOWN_OBJECT,
                           SD_BUS_ERROR_UNKNOWN_INTERFACE, SD_BUS_ERROR_UNKNOWN_PROPERTY,
                           SD_BUS_ERROR_INVALID_ARGS})) {
    result.kind = ErrorKind::Protocol;
  } else if (sd_bus_error_has_name(error, SD_BUS_ERROR_DISCONNECTED)) {
    result.kind = ErrorKind::BusUnreachable;
  } else {
    result.kind = ErrorKind::Failed;
  }
  return result;
}

int readTransition(sd_bus_message* message, Transition& transition) {
  std::uint64_t timeUs = 0;
  std::uint64_t epoch = 0;
  const char* from = nullptr;
  const char* to = nullptr;
  const char* role = nullptr;
  const char* reason = nullptr;
  const char* detail = nullptr;
  int notReady = 0;
  char type = 0;
  int r = sd_bus_message_peek_type(message, &type, nullptr);
  if (r <= 0) return r < 0 ? r : -EBADMSG;
  // A struct (LastTransition, GetHistory's entries) or eight arguments (a signal may carry the
  // entry either way).
  const char* format = type == SD_BUS_TYPE_STRUCT ? "(tssstsbs)" : "tssstsbs";
  r = sd_bus_message_read(message, format, &timeUs, &from, &to, &role, &epoch, &reason, &notReady,
                          &detail);
  if (r <= 0) return r < 0 ? r : -EBADMSG;
  transition = Transition{timeUs, from, to, role, epoch, reason, notReady != 0, detail};
  return 1;
}

int readValue(sd_bus_message* message, std::string_view signature, PropertyValue& value) {
  int r = 0;
  if (signature == "s") {
    const char* text = nullptr;
    r = sd_bus_message_read_basic(message, 's', &text);
    if (r > 0) value = std::string{text};
  } else if (signature == "t") {
    std::uint64_t number = 0;
    r = sd_bus_message_read_basic(message, 't', &number);
    if (r > 0) value = number;
  } else if (signature == "b") {
    int flag = 0;
    r = sd_bus_message_read_basic(message, 'b', &flag);
    if (r > 0) value = flag != 0;
  } else if (signature == "a(sbt)") {
    std::vector<HeartbeatPath> paths;
    r = sd_bus_message_enter_container(message, 'a', "(sbt)");
    while (r > 0 && (r = sd_bus_message_enter_container(message, 'r', "sbt")) > 0) {
      const char* name = nullptr;
      int alive = 0;
      std::uint64_t ageMs = 0;
      r = sd_bus_message_read(message, "sbt", &name, &alive, &ageMs);
      if (r > 0) paths.push_back({name, alive != 0, ageMs});
      if (r > 0) r = sd_bus_message_exit_container(message);
    }
    if (r >= 0) r = sd_bus_message_exit_container(message);
    if (r >= 0) value = std::move(paths);
  } else if (signature == "(tssstsbs)") {
    Transition transition;
    r = readTransition(message, transition);
    if (r > 0) value = std::move(transition);
  } else if (signature == "a{st}") {
    Counters counters;
    r = sd_bus_message_enter_container(message, 'a', "{st}");
    while (r > 0 && (r = sd_bus_message_enter_container(message, 'e', "st")) > 0) {
      const char* name = nullptr;
      std::uint64_t count = 0;
      r = sd_bus_message_read(message, "st", &name, &count);
      if (r > 0) counters[name] = count;
      if (r > 0) r = sd_bus_message_exit_container(message);
    }
    if (r >= 0) r = sd_bus_message_exit_container(message);
    if (r >= 0) value = std::move(counters);
  } else {
    return -EINVAL;
  }
  if (r == 0) return -EBADMSG;  // a basic value missing: the message ended early
  return r < 0 ? r : 1;
}

int readProperties(sd_bus_message* message, AgentStatus& status, std::string& problem,
                   std::vector<std::string>* names) {
  int r = sd_bus_message_enter_container(message, 'a', "{sv}");
  while (r > 0 && (r = sd_bus_message_enter_container(message, 'e', "sv")) > 0) {
    const char* name = nullptr;
    r = sd_bus_message_read_basic(message, 's', &name);
    if (r <= 0) break;
    const char* contents = nullptr;
    r = sd_bus_message_peek_type(message, nullptr, &contents);
    if (r <= 0) break;
    const auto expected = propertySignature(name);
    if (!expected) {
      r = sd_bus_message_skip(message, "v");
    } else if (contents == nullptr || *expected != contents) {
      problem = std::string{"property "} + name + " has type " + (contents ? contents : "?") +
                ", expected " + std::string{*expected};
      return -EBADMSG;
    } else {
      PropertyValue value;
      r = sd_bus_message_enter_container(message, 'v', contents);
      if (r > 0) r = readValue(message, contents, value);
      if (r > 0) r = sd_bus_message_exit_container(message);
      if (r > 0) {
        setProperty(status, name, value);
        if (names != nullptr) names->emplace_back(name);
      }
    }
    if (r >= 0) r = sd_bus_message_exit_container(message);
  }
  if (r >= 0) r = sd_bus_message_exit_container(message);
  if (r < 0 && problem.empty())
    problem = std::string{"unreadable properties: "} + std::strerror(-r);
  return r;
}

AgentClient::~AgentClient() { sd_bus_flush_close_unref(bus_); }

std::optional<ClientError> AgentClient::connect(const std::string& address) {
  bus_ = sd_bus_flush_close_unref(bus_);
  address_ = address.empty() ? systemBusAddress() : address;
  int r = 0;
  if (address.empty()) {
    r = sd_bus_open_system_with_description(&bus_, "siphactl");
  } else {
    r = sd_bus_new(&bus_);
    if (r >= 0) r = sd_bus_set_address(bus_, address.c_str());
    if (r >= 0) r = sd_bus_set_bus_client(bus_, 1);
    if (r >= 0) r = sd_bus_set_description(bus_, "siphactl");
    if (r >= 0) r = sd_bus_start(bus_);
  }
  if (r < 0) {
    bus_ = sd_bus_flush_close_unref(bus_);
    return ClientError{ErrorKind::BusUnreachable, {}, std::strerror(-r)};
  }
  return std::nullopt;
}

int AgentClient::call(const char* interface, const char* member,
                      std::initializer_list<const char*> arguments, std::uint64_t timeoutUsec,
                      sd_bus_error* error, sd_bus_message** reply) {
  if (bus_ == nullptr) return -ENOTCONN;
  sd_bus_message* raw = nullptr;
  int r = sd_bus_message_new_method_call(bus_, &raw, kAgentService, kAgentPath, interface, member);
  MessagePtr request{raw};
  for (const char* argument : arguments) {
    if (r >= 0) r = sd_bus_message_append_basic(raw, 's', argument);
  }
  if (r >= 0) r = sd_bus_call(bus_, raw, timeoutUsec, error, reply);
  return r;
}

Outcome<AgentStatus> AgentClient::readStatus() {
  ScopedError error;
  sd_bus_message* raw = nullptr;
  const int r =
      call(kPropertiesInterface, "GetAll", {kAgentInterface}, callTimeoutUsec_, &error.error, &raw);
  MessagePtr reply{raw};
  if (r < 0) return failed<AgentStatus>(classifyError(r, &error.error));
  AgentStatus status;
  std::string problem;
  if (readProperties(reply.get(), status, problem) < 0) {
    return failed<AgentStatus>(protocolError(problem));
  }
  return {std::move(status), {}};
}

Outcome<PropertyValue> AgentClient::readProperty(std::string_view name) {
  const std::string nameText{name};
  const auto signature = propertySignature(name);
  if (!signature) return failed<PropertyValue>(protocolError("unknown property " + nameText));
  ScopedError error;
  sd_bus_message* raw = nullptr;
  int r = call(kPropertiesInterface, "Get", {kAgentInterface, nameText.c_str()}, callTimeoutUsec_,
               &error.error, &raw);
  MessagePtr reply{raw};
  if (r < 0) return failed<PropertyValue>(classifyError(r, &error.error));
  const std::string signatureText{*signature};
  PropertyValue value;
  r = sd_bus_message_enter_container(reply.get(), 'v', signatureText.c_str());
  if (r > 0) r = readValue(reply.get(), *signature, value);
  if (r <= 0) {
    return failed<PropertyValue>(
        protocolError("property " + nameText + " is not of type " + signatureText));
  }
  return {std::move(value), {}};
}

Outcome<std::vector<Transition>> AgentClient::readHistory() {
  ScopedError error;
  sd_bus_message* raw = nullptr;
  int r = call(kAgentInterface, "GetHistory", {}, callTimeoutUsec_, &error.error, &raw);
  MessagePtr reply{raw};
  if (r < 0) return failed<std::vector<Transition>>(classifyError(r, &error.error));
  std::vector<Transition> history;
  r = sd_bus_message_enter_container(reply.get(), 'a', "(tssstsbs)");
  while (r > 0 && (r = sd_bus_message_at_end(reply.get(), 0)) == 0) {
    Transition entry;
    r = readTransition(reply.get(), entry);
    if (r > 0) history.push_back(std::move(entry));
  }
  if (r >= 0) r = sd_bus_message_exit_container(reply.get());
  if (r < 0) {
    return failed<std::vector<Transition>>(
        protocolError("GetHistory answered something other than a(tssstsbs)"));
  }
  return {std::move(history), {}};
}

Outcome<std::uint64_t> AgentClient::switchover(std::uint64_t timeoutUsec) {
  ScopedError error;
  sd_bus_message* raw = nullptr;
  const int r = call(kAgentInterface, "Switchover", {}, timeoutUsec, &error.error, &raw);
  MessagePtr reply{raw};
  if (r < 0) return failed<std::uint64_t>(classifyError(r, &error.error));
  std::uint64_t epoch = 0;
  if (sd_bus_message_read(reply.get(), "t", &epoch) <= 0) {
    return failed<std::uint64_t>(protocolError("Switchover answered something other than (t)"));
  }
  return {epoch, {}};
}

}  // namespace sipha::siphactl
