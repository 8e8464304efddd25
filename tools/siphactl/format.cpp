#include "siphactl/format.hpp"

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <sstream>

namespace sipha::siphactl {
namespace {

const char* yesNo(bool value) { return value ? "yes" : "no"; }
const char* reachability(bool value) { return value ? "reachable" : "unreachable"; }
const char* failing(bool value) { return value ? "failing" : "ok"; }

bool peerHeard(const AgentStatus& status) { return !status.peerNodeId.empty(); }

std::string pathState(const HeartbeatPath& path) {
  if (path.ageMs == kNever) return path.alive ? "alive, never heard" : "dead, never heard";
  return std::string{path.alive ? "alive" : "dead"} + ", last " + formatAge(path.ageMs) + " ago";
}

// An aligned table: a label column and up to two value columns; trailing blanks trimmed.
class Table {
 public:
  void row(std::string label, std::string node, std::string peer = {}) {
    rows_.push_back({std::move(label), std::move(node), std::move(peer)});
  }

  std::string render() const {
    std::size_t labelWidth = 0;
    std::size_t nodeWidth = 0;
    for (const auto& r : rows_) {
      labelWidth = std::max(labelWidth, r.label.size());
      if (!r.peer.empty()) nodeWidth = std::max(nodeWidth, r.node.size());
    }
    std::string text;
    for (const auto& r : rows_) {
      std::string line = r.label;
      if (!r.node.empty() || !r.peer.empty()) {
        line.resize(labelWidth + 2, ' ');
        line += r.node;
      }
      if (!r.peer.empty()) {
        line.resize(labelWidth + 2 + nodeWidth + 2, ' ');
        line += r.peer;
      }
      while (!line.empty() && line.back() == ' ') line.pop_back();
      text += line + "\n";
    }
    return text;
  }

 private:
  struct Row {
    std::string label, node, peer;
  };
  std::vector<Row> rows_;
};

using ObjectPtr = Poco::JSON::Object::Ptr;

ObjectPtr newObject() { return new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER); }

std::string toJson(const Poco::Dynamic::Var& value) {
  std::ostringstream out;
  if (value.type() == typeid(ObjectPtr)) {
    value.extract<ObjectPtr>()->stringify(out);
  } else {
    value.extract<Poco::JSON::Array::Ptr>()->stringify(out);
  }
  return out.str();
}

ObjectPtr transitionObject(const Transition& transition) {
  ObjectPtr entry = newObject();
  entry->set("time_us", transition.timeUs);
  entry->set("time", formatTimestamp(transition.timeUs));
  entry->set("from", transition.from);
  entry->set("to", transition.to);
  entry->set("role", transition.role);
  entry->set("epoch", transition.epoch);
  entry->set("reason", transition.reason);
  entry->set("not_ready", transition.notReady);
  entry->set("detail", transition.detail);
  return entry;
}

// How watch shows a property: its label and how its values read.
enum class Shown { Text, YesNo, Reachability, Failing };

struct WatchedProperty {
  std::string_view name;
  std::string_view label;
  Shown shown;
};

constexpr WatchedProperty kWatched[] = {
    {"NodeId", "this node: node id", Shown::Text},
    {"Role", "this node: role", Shown::Text},
    {"Phase", "this node: phase", Shown::Text},
    {"Epoch", "this node: epoch", Shown::Text},
    {"LocalSipd", "this node: sipd", Shown::Text},
    {"ReadyForSwitchover", "this node: ready for switchover", Shown::YesNo},
    {"Witness", "this node: witness address", Shown::Text},
    {"WitnessReachable", "this node: witness", Shown::Reachability},
    {"PeerNodeId", "peer: node id", Shown::Text},
    {"PeerRole", "peer: role", Shown::Text},
    {"PeerEpoch", "peer: epoch", Shown::Text},
    {"PeerReady", "peer: ready for switchover", Shown::YesNo},
    {"PeerFailing", "peer: sipd", Shown::Failing},
    {"PeerWitnessReachable", "peer: witness", Shown::Reachability},
};

std::string shownValue(const PropertyValue& value, Shown shown) {
  if (const auto* text = std::get_if<std::string>(&value)) {
    return text->empty() ? std::string{"(none)"} : *text;
  }
  if (const auto* number = std::get_if<std::uint64_t>(&value)) return std::to_string(*number);
  if (const auto* flag = std::get_if<bool>(&value)) {
    switch (shown) {
      case Shown::Reachability:
        return reachability(*flag);
      case Shown::Failing:
        return failing(*flag);
      case Shown::YesNo:
      case Shown::Text:
        break;
    }
    return yesNo(*flag);
  }
  return "?";
}

std::vector<std::string> describePaths(const std::vector<HeartbeatPath>& before,
                                       const std::vector<HeartbeatPath>& after) {
  std::vector<std::string> lines;
  for (const auto& path : after) {
    const auto old = std::find_if(before.begin(), before.end(),
                                  [&](const HeartbeatPath& p) { return p.name == path.name; });
    if (old == before.end()) {
      lines.push_back("peer: heartbeat path " + path.name + " " + pathState(path));
    } else if (old->alive != path.alive) {
      lines.push_back("peer: heartbeat path " + path.name + " " + (old->alive ? "alive" : "dead") +
                      " -> " + pathState(path));
    }
  }
  for (const auto& path : before) {
    const bool kept = std::any_of(after.begin(), after.end(),
                                  [&](const HeartbeatPath& p) { return p.name == path.name; });
    if (!kept) lines.push_back("peer: heartbeat path " + path.name + " no longer reported");
  }
  return lines;
}

}  // namespace

std::string formatTimestamp(std::uint64_t unixUs) {
  const auto seconds = static_cast<std::time_t>(unixUs / 1'000'000);
  const auto millis = static_cast<unsigned>((unixUs / 1'000) % 1'000);
  std::tm local{};
  if (localtime_r(&seconds, &local) == nullptr) return std::to_string(unixUs) + " us";
  char date[40];
  if (std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &local) == 0) return "?";
  const long offset = local.tm_gmtoff;
  const long minutes = std::labs(offset) / 60;
  char text[64];
  std::snprintf(text, sizeof text, "%s.%03u%c%02ld:%02ld", date, millis, offset < 0 ? '-' : '+',
                minutes / 60, minutes % 60);
  return text;
}

std::string formatAge(std::uint64_t ms) {
  if (ms == kNever) return "never";
  if (ms < 1'000) return std::to_string(ms) + " ms";
  if (ms < 10'000) {
    return std::to_string(ms / 1'000) + "." + std::to_string(ms / 100 % 10) + " s";
  }
  const std::uint64_t seconds = ms / 1'000;
  if (seconds < 60) return std::to_string(seconds) + " s";
  if (seconds < 3'600) {
    return std::to_string(seconds / 60) + " min " + std::to_string(seconds % 60) + " s";
  }
  const std::uint64_t minutes = seconds / 60;
  return std::to_string(minutes / 60) + " h " + std::to_string(minutes % 60) + " min";
}

std::vector<std::string> assessStatus(const AgentStatus& status) {
  std::vector<std::string> problems;
  if (status.phase != "primary" && status.phase != "backup") {
    problems.push_back("this node is in transition (phase " +
                       (status.phase.empty() ? std::string{"unknown"} : status.phase) + ")");
  }
  if (status.localSipd != "alive") {
    problems.push_back("sipd on this node is " +
                       (status.localSipd.empty() ? std::string{"unknown"} : status.localSipd));
  }
  if (!status.witnessReachable) {
    problems.push_back("this node does not reach the witness" +
                       (status.witness.empty() ? std::string{} : " " + status.witness));
  }
  if (!peerHeard(status)) {
    problems.push_back("the peer was never heard");
    return problems;
  }
  const bool anyAlive = std::any_of(status.peerPaths.begin(), status.peerPaths.end(),
                                    [](const HeartbeatPath& p) { return p.alive; });
  if (!status.peerPaths.empty() && !anyAlive) {
    problems.push_back("the peer is silent on every heartbeat path");
  } else {
    for (const auto& path : status.peerPaths) {
      if (!path.alive) problems.push_back("heartbeat path " + path.name + " is dead");
    }
  }
  if (status.peerFailing) problems.push_back("the peer's sipd is failing");
  if (!status.peerWitnessReachable) problems.push_back("the peer does not reach the witness");
  if (status.role == "primary" && status.peerRole == "primary") {
    problems.push_back("both nodes are primary");
  } else if (status.role == "backup" && status.peerRole == "backup") {
    problems.push_back("neither node is primary");
  }
  if (status.role == "primary" && status.peerRole == "backup" && !status.peerReady) {
    problems.push_back("the backup (peer) is not ready for switchover");
  } else if (status.role == "backup" && status.peerRole == "primary" &&
             !status.readyForSwitchover) {
    problems.push_back("the backup (this node) is not ready for switchover");
  }
  return problems;
}

std::string formatStatus(const AgentStatus& status) {
  const auto problems = assessStatus(status);
  std::string text;
  if (problems.empty()) {
    text = "pair: ok\n";
  } else {
    text = "pair: attention: ";
    for (std::size_t i = 0; i < problems.size(); ++i) {
      text += (i == 0 ? "" : "; ") + problems[i];
    }
    text += "\n";
  }
  const bool heard = peerHeard(status);
  const bool silent = heard && !status.peerPaths.empty() &&
                      std::none_of(status.peerPaths.begin(), status.peerPaths.end(),
                                   [](const HeartbeatPath& p) { return p.alive; });
  const auto peer = [&](std::string value) { return heard ? value : std::string{"-"}; };

  Table table;
  table.row("", "this node", silent ? "peer (silent: as last heard)" : "peer");
  table.row("node id", status.nodeId, heard ? status.peerNodeId : "(never heard)");
  table.row("role", status.role, peer(status.peerRole));
  table.row("phase", status.phase);
  table.row("epoch", std::to_string(status.epoch), peer(std::to_string(status.peerEpoch)));
  table.row("sipd", status.localSipd, peer(failing(status.peerFailing)));
  // Readiness is a backup's (it caught up with the primary): a primary's is not a question.
  const auto readiness = [](const std::string& role, bool ready) {
    return role == "primary" ? std::string{"-"} : yesNo(ready);
  };
  table.row("ready for switchover", readiness(status.role, status.readyForSwitchover),
            peer(readiness(status.peerRole, status.peerReady)));
  table.row(status.witness.empty() ? "witness" : "witness " + status.witness,
            reachability(status.witnessReachable), peer(reachability(status.peerWitnessReachable)));
  for (const auto& path : status.peerPaths) {
    table.row("heartbeats " + path.name, "", pathState(path));
  }
  table.row("last transition", isEmpty(status.lastTransition)
                                   ? "none yet"
                                   : formatTimestamp(status.lastTransition.timeUs) + "  " +
                                         formatTransitionBody(status.lastTransition));
  return text + table.render();
}

std::string statusJson(const AgentStatus& status) {
  const auto problems = assessStatus(status);
  ObjectPtr root = newObject();
  root->set("ok", problems.empty());

  ObjectPtr node = newObject();
  node->set("id", status.nodeId);
  node->set("role", status.role);
  node->set("phase", status.phase);
  node->set("epoch", status.epoch);
  node->set("sipd", status.localSipd);
  node->set("ready_for_switchover", status.readyForSwitchover);
  ObjectPtr witness = newObject();
  witness->set("address", status.witness);
  witness->set("reachable", status.witnessReachable);
  node->set("witness", witness);
  root->set("node", node);

  ObjectPtr peer = newObject();
  const bool heard = peerHeard(status);
  peer->set("heard", heard);
  peer->set("id", heard ? Poco::Dynamic::Var(status.peerNodeId) : Poco::Dynamic::Var());
  peer->set("role", status.peerRole);
  peer->set("epoch", status.peerEpoch);
  peer->set("failing", status.peerFailing);
  peer->set("ready_for_switchover", status.peerReady);
  ObjectPtr peerWitness = newObject();
  peerWitness->set("reachable", status.peerWitnessReachable);
  peer->set("witness", peerWitness);
  Poco::JSON::Array::Ptr paths = new Poco::JSON::Array;
  for (const auto& path : status.peerPaths) {
    ObjectPtr entry = newObject();
    entry->set("name", path.name);
    entry->set("alive", path.alive);
    entry->set("age_ms",
               path.ageMs == kNever ? Poco::Dynamic::Var() : Poco::Dynamic::Var(path.ageMs));
    paths->add(entry);
  }
  peer->set("paths", paths);
  root->set("peer", peer);

  root->set("last_transition", isEmpty(status.lastTransition)
                                   ? Poco::Dynamic::Var()
                                   : Poco::Dynamic::Var(transitionObject(status.lastTransition)));
  ObjectPtr counters = newObject();
  for (const auto& [name, value] : status.counters) counters->set(name, value);
  root->set("counters", counters);
  Poco::JSON::Array::Ptr problemList = new Poco::JSON::Array;
  for (const auto& problem : problems) problemList->add(problem);
  root->set("problems", problemList);
  return toJson(root);
}

namespace {

std::string transitionText(const Transition& transition, std::size_t phasesWidth) {
  std::string phases = transition.from + " -> " + transition.to;
  if (phases.size() < phasesWidth) phases.resize(phasesWidth, ' ');
  std::string line = phases + "  " +
                     (transition.reason.empty() ? std::string{"-"} : transition.reason) + "  (" +
                     transition.role + ", epoch " + std::to_string(transition.epoch) + ")";
  // The agent's detail already says it for its own entries; other writers may not.
  if (transition.notReady && transition.detail.find("not ready") == std::string::npos) {
    line += ", promoted while not ready for switchover";
  }
  if (!transition.detail.empty()) line += ": " + transition.detail;
  return line;
}

}  // namespace

std::string formatTransition(const Transition& transition) {
  // "handing-over -> handing-over" is the longest: history lines stay aligned.
  return formatTimestamp(transition.timeUs) + "  " + transitionText(transition, 28);
}

std::string formatTransitionBody(const Transition& transition) {
  return transitionText(transition, 0);
}

std::string formatHistory(const std::vector<Transition>& history) {
  if (history.empty()) return "no transition yet\n";
  std::string text;
  for (const auto& entry : history) text += formatTransition(entry) + "\n";
  return text;
}

std::string historyJson(const std::vector<Transition>& history) {
  Poco::JSON::Array::Ptr entries = new Poco::JSON::Array;
  for (const auto& entry : history) entries->add(transitionObject(entry));
  return toJson(entries);
}

std::vector<std::string> describeChange(std::string_view property, const AgentStatus& before,
                                        const PropertyValue& after) {
  if (property == "PeerPaths") {
    if (const auto* paths = std::get_if<std::vector<HeartbeatPath>>(&after)) {
      return describePaths(before.peerPaths, *paths);
    }
    return {};
  }
  for (const auto& watched : kWatched) {
    if (watched.name != property) continue;
    const auto old = propertyValue(before, property);
    if (old && *old == after) return {};
    std::string line{watched.label};
    line += " ";
    if (old && old->index() == after.index()) line += shownValue(*old, watched.shown) + " -> ";
    return {line + shownValue(after, watched.shown)};
  }
  return {};
}

std::string formatSummary(const AgentStatus& status) {
  std::string line = (status.nodeId.empty() ? std::string{"this node"} : status.nodeId) + ": " +
                     status.role + ", phase " + status.phase + ", epoch " +
                     std::to_string(status.epoch) + ", sipd " + status.localSipd + "; ";
  if (!peerHeard(status)) return line + "peer never heard";
  return line + "peer " + status.peerNodeId + " " + status.peerRole + ", epoch " +
         std::to_string(status.peerEpoch);
}

std::string formatSwitchoverDone(std::string_view peerNodeId, std::uint64_t epoch) {
  const std::string peer = peerNodeId.empty() ? std::string{"the peer"} : std::string{peerNodeId};
  return "switched over: " + peer + " is primary with epoch " + std::to_string(epoch);
}

std::string formatSwitchoverFailed(bool abandoned, std::string_view reason,
                                   const std::optional<AgentStatus>& now) {
  std::string text = abandoned ? "switchover abandoned: " : "switchover refused: ";
  text += reason.empty() ? std::string_view{"no reason given"} : reason;
  if (!now) return text;
  if (!abandoned && now->role == "backup") {
    const std::string self = now->nodeId.empty() ? "" : " (" + now->nodeId + ")";
    text += "\nthis node" + self + " is the backup: run `siphactl switchover` on the primary";
    if (!now->peerNodeId.empty() && now->peerRole == "primary") {
      text += ", " + now->peerNodeId;
    } else if (!now->peerNodeId.empty()) {
      text += " (the peer, " + now->peerNodeId + ", says it is " +
              (now->peerRole.empty() ? std::string{"in no role"} : now->peerRole) + ")";
    } else {
      text += " (the peer was never heard from this node)";
    }
    return text;
  }
  return text + "\nnow " + formatSummary(*now);
}

}  // namespace sipha::siphactl
