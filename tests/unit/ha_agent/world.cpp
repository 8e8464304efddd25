#include "world.hpp"

#include <algorithm>
#include <deque>
#include <sstream>

namespace sipha::agent::model {

namespace {

const char* nodeName(std::size_t n) { return n == 0 ? "a" : "b"; }

std::string describeState(const PeerState& s) {
  std::string text =
      s.nodeId + " " + std::string{common::roleName(s.role)} + "/e" + std::to_string(s.epoch);
  if (s.failing) text += " failing";
  if (s.ready) text += " ready";
  if (!s.witnessOk) text += " no-witness";
  if (s.handingOver) text += " handing-over";
  return text;
}

std::string describeEvent(const Event& event) {
  return std::visit(
      [](const auto& e) -> std::string {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, Boot>)
          return "Boot(disk e" + std::to_string(e.persistedEpoch) + ")";
        if constexpr (std::is_same_v<E, Tick>) return "Tick";
        if constexpr (std::is_same_v<E, HeartbeatReceived>)
          return "Heartbeat[" + std::string{pathName(e.path)} + " #" + std::to_string(e.seq) +
                 "](" + describeState(e.peer) + ")";
        if constexpr (std::is_same_v<E, WitnessResult>)
          return std::string{"WitnessResult("} + (e.reachable ? "reachable" : "unreachable") + ")";
        if constexpr (std::is_same_v<E, ServiceAddressProbed>) {
          if (e.result == ServiceAddress::ServedByOther)
            return "ServiceAddress(served by " + e.serverNodeId + "/e" +
                   std::to_string(e.serverEpoch) + ")";
          return e.result == ServiceAddress::NotServed ? "ServiceAddress(not served)"
                                                       : "ServiceAddress(unknown)";
        }
        if constexpr (std::is_same_v<E, EpochPersisted>)
          return "EpochPersisted(e" + std::to_string(e.epoch) + (e.ok ? ")" : ", failed)");
        if constexpr (std::is_same_v<E, LocalSipdState>)
          return std::string{"LocalSipd("} + healthName(e.health) + (e.ready ? ", ready)" : ")");
        if constexpr (std::is_same_v<E, SwitchoverRequested>) return "SwitchoverRequested";
        if constexpr (std::is_same_v<E, HandoverComplete>) return "HandoverComplete";
        if constexpr (std::is_same_v<E, MonitorProbed>) return "MonitorProbed";
        return "?";
      },
      event);
}

std::string describeAction(const Action& action) {
  return std::visit(
      [](const auto& a) -> std::string {
        using A = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<A, SendHeartbeat>)
          return "SendHeartbeat[" + std::string{pathName(a.path)} + "](" + describeState(a.state) +
                 ")";
        if constexpr (std::is_same_v<A, SetRole>)
          return "SetRole(" + std::string{common::roleName(a.role)} + ", e" +
                 std::to_string(a.epoch) + ")";
        if constexpr (std::is_same_v<A, PersistEpoch>)
          return "PersistEpoch(e" + std::to_string(a.epoch) + ")";
        if constexpr (std::is_same_v<A, ProbeWitness>) return "ProbeWitness";
        if constexpr (std::is_same_v<A, ProbeServiceAddress>) return "ProbeServiceAddress";
        if constexpr (std::is_same_v<A, StopTakingTransactions>) return "StopTakingTransactions";
        if constexpr (std::is_same_v<A, ResumeTakingTransactions>)
          return "ResumeTakingTransactions";
        if constexpr (std::is_same_v<A, SwitchoverRefused>)
          return "SwitchoverRefused(" + a.why + ")";
        if constexpr (std::is_same_v<A, History>)
          return "History[" + std::string{phaseName(a.from)} + " -> " +
                 std::string{phaseName(a.to)} + ", " + std::string{reasonName(a.reason)} + "] " +
                 a.detail;
        return "?";
      },
      action);
}

// Appends the bytes of a key (a plain buffer: keys are written for every transition explored).
struct KeyWriter {
  std::array<char, 2048> buffer;
  std::size_t size = 0;
  void u8(std::uint64_t v) { buffer[size++] = static_cast<char>(v); }
  void flag(bool v) { u8(v ? 1 : 0); }
  void u64(std::uint64_t v) {
    do {
      u8((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
      v >>= 7;
    } while (v != 0);
  }
  void text(std::string_view s) {
    u64(s.size());
    for (char c : s) buffer[size++] = c;
  }
  std::string_view view() const { return {buffer.data(), size}; }
};

}  // namespace

Options modelOptions() {
  Options o;
  o.tick = Duration{10};
  DecisionConfig& c = o.config;
  // One tick is one heartbeat; the dead interval is three, as the defaults' 100 ms is five
  // heartbeats of 20 ms on each path (the relations validate() asks for hold the same).
  c.heartbeatInterval = Duration{10};
  c.deadInterval = Duration{30};
  c.startupWait = Duration{50};
  c.witnessInterval = Duration{10};
  c.witnessDeadInterval = Duration{30};
  c.serviceProbeInterval = Duration{10};
  c.promotionRetry = Duration{20};
  c.drainTimeout = Duration{30};
  c.handoverTimeout = Duration{40};
  return o;
}

bool isFault(StepKind kind) { return kind >= StepKind::CutHaLink; }

std::string describe(const Step& step) {
  const std::string n = nodeName(step.node);
  switch (step.kind) {
    case StepKind::Tick: {
      std::string text = std::string{"tick, "} + nodeName(step.node) + " first";
      for (std::size_t i = 0; i < kNodes; ++i) {
        const Fate fate = fateOf(step, i);
        if (fate != Fate::OnTime)
          text += std::string{", "} + nodeName(i) + "'s heartbeats " +
                  (fate == Fate::Late ? "late" : "lost");
      }
      return text;
    }
    case StepKind::CompleteDrain:
      return n + ": replication drained";
    case StepKind::Boot:
      return n + ": boots";
    case StepKind::HealHaLink:
      return "HA link heals";
    case StepKind::HealServicePath:
      return "service path between the nodes heals";
    case StepKind::HealServiceLink:
      return n + ": service link heals";
    case StepKind::WitnessUp:
      return "witness back";
    case StepKind::SipdRecovers:
      return n + ": sipd recovers";
    case StepKind::SipdCatchesUp:
      return n + ": sipd caught up (ready)";
    case StepKind::CutHaLink:
      return "FAULT HA link cut";
    case StepKind::CutServicePath:
      return "FAULT service path between the nodes cut";
    case StepKind::CutServiceLink:
      return "FAULT " + n + ": service link cut";
    case StepKind::WitnessDown:
      return "FAULT witness down";
    case StepKind::Crash:
      return "FAULT " + n + ": crashes";
    case StepKind::SipdDies:
      return "FAULT " + n + ": sipd dies";
    case StepKind::SipdHangs:
      return "FAULT " + n + ": sipd hangs";
    case StepKind::SipdFallsBehind:
      return "FAULT " + n + ": sipd falls behind (not ready)";
    case StepKind::Switchover:
      return "OPERATOR " + n + ": switchover";
  }
  return "?";
}

World::World(const Options& options) : options_(&options), now_(TimePoint{Duration{1000}}) {}

int World::splitBound() const {
  const auto ticks =
      (options_->config.serviceProbeInterval + options_->tick - Duration{1}) / options_->tick;
  return static_cast<int>(std::max<std::int64_t>(1, ticks));
}

int World::isolationBound() const {
  // Silence on every path and no witness answer for their intervals, a heartbeat still late.
  const Duration longest =
      std::max(options_->config.deadInterval, options_->config.witnessDeadInterval);
  return static_cast<int>((longest + options_->tick - Duration{1}) / options_->tick) + 2;
}

bool World::serving(std::size_t n) const {
  const Node& node = nodes_[n];
  return node.up && node.sipd == SipdHealth::Alive && node.role == Role::Primary &&
         node.serviceLink;
}

bool World::pathUp(Path path) const {
  if (path == Path::HaLink) return haLink_;
  return servicePath_ && nodes_[0].serviceLink && nodes_[1].serviceLink;
}

void World::dropMessagesOn(Path path) {
  std::erase_if(inFlight_, [&](const Message& m) { return m.path == path; });
}

void World::enabledSteps(int faultsLeft, FaultSet faults, std::vector<Step>& out) const {
  out.clear();
  const auto add = [&](StepKind kind, std::size_t node = 0) {
    if (isFault(kind) && (faults & faultBit(kind)) == 0) return;
    out.push_back(Step{kind, static_cast<std::uint8_t>(node), 0});
  };
  // A fate for each sender with heartbeats in flight; a ticks first (b-first: see
  // tickOrderMatters). (Heartbeats to a node that is down are lost whatever their fate: one is
  // enough.)
  std::array<bool, kNodes> sending{};
  for (const Message& m : inFlight_) sending[m.from] = nodes_[1 - m.from].up;
  for (std::uint8_t fa = 0; fa < (sending[0] ? 3 : 1); ++fa)
    for (std::uint8_t fb = 0; fb < (sending[1] ? 3 : 1); ++fb)
      out.push_back(Step{StepKind::Tick, 0, static_cast<std::uint8_t>(fa | (fb << 2))});
  for (std::size_t n = 0; n < kNodes; ++n) {
    const Node& node = nodes_[n];
    const Node& other = nodes_[1 - n];
    if (!node.up) {
      add(StepKind::Boot, n);
      continue;
    }
    // The backup's sipd acknowledges over the HA link.
    if (node.draining && haLink_ && other.up && other.sipd == SipdHealth::Alive)
      add(StepKind::CompleteDrain, n);
    if (node.sipd != SipdHealth::Alive) add(StepKind::SipdRecovers, n);
    if (node.sipd == SipdHealth::Alive && !node.sipdReady && node.role == Role::Backup &&
        other.up && other.role == Role::Primary && other.sipd == SipdHealth::Alive && haLink_)
      add(StepKind::SipdCatchesUp, n);
    if (!node.serviceLink) add(StepKind::HealServiceLink, n);
  }
  if (!haLink_) add(StepKind::HealHaLink);
  if (!servicePath_) add(StepKind::HealServicePath);
  if (!witnessUp_) add(StepKind::WitnessUp);
  if (faultsLeft <= 0) return;
  if (haLink_) add(StepKind::CutHaLink);
  if (servicePath_) add(StepKind::CutServicePath);
  if (witnessUp_) add(StepKind::WitnessDown);
  for (std::size_t n = 0; n < kNodes; ++n) {
    const Node& node = nodes_[n];
    if (!node.up) continue;
    if (node.serviceLink) add(StepKind::CutServiceLink, n);
    add(StepKind::Crash, n);
    if (node.sipd == SipdHealth::Alive) {
      add(StepKind::SipdDies, n);
      add(StepKind::SipdHangs, n);
    }
    if (node.sipdReady) add(StepKind::SipdFallsBehind, n);
    add(StepKind::Switchover, n);
  }
}

std::optional<Violation> World::apply(const Step& step, std::ostream* log) {
  log_ = log;
  eventsThisStep_ = 0;
  std::optional<Violation> violation;
  const bool splitBefore = serving(0) && serving(1);
  const std::size_t n = step.node;
  Node& node = nodes_[n];
  switch (step.kind) {
    case StepKind::Tick: {
      tickChangedRole_ = false;
      splitTicks_ = splitBefore ? splitTicks_ + 1 : 0;
      if (splitTicks_ > splitBound())
        violation = Violation{
            "NoTwoServingPrimaries",
            "two primaries served at " + std::to_string(splitTicks_) + " tick boundaries in a row"};
      for (std::size_t i = 0; i < kNodes; ++i) {
        Node& x = nodes_[i];
        const Node& peer = nodes_[1 - i];
        const bool witness = x.serviceLink && witnessUp_;
        const bool toPeer = peer.up && (haLink_ || pathUp(Path::Service));
        x.isolatedTicks =
            x.up && x.role == Role::Primary && !witness && !toPeer ? x.isolatedTicks + 1 : 0;
        if (x.isolatedTicks > isolationBound() && !violation)
          violation = Violation{"IsolatedPrimaryStepsDown",
                                std::string{nodeName(i)} + " still primary after " +
                                    std::to_string(x.isolatedTicks) +
                                    " ticks without its witness and its peer"};
      }
      now_ += options_->tick;
      // What was in flight meets its fate; what is sent from here on waits for the next tick.
      // A sender's heartbeats in flight say the same thing on both paths, and the decision reads
      // the paths only through "silent on every path": the newest of them stands for them all
      // (the older one would only prove its own path at the same instant).
      std::array<std::optional<Message>, kNodes> newest;
      for (Message& m : inFlight_) newest[m.from] = std::move(m);
      inFlight_.clear();
      // Everything happens to node `step.node` first: its heartbeat, its tick, its late one.
      const auto inOrder = [&](auto&& what) {
        for (std::size_t k = 0; k < kNodes; ++k) what((step.node + k) % kNodes);
      };
      inOrder([&](std::size_t to) {
        const auto& m = newest[1 - to];
        if (m && fateOf(step, m->from) == Fate::OnTime) deliver(*m, violation);
      });
      inOrder([&](std::size_t i) {
        if (nodes_[i].up) handle(i, Tick{now_}, violation);
      });
      inOrder([&](std::size_t to) {
        const auto& m = newest[1 - to];
        if (m && fateOf(step, m->from) == Fate::Late) deliver(*m, violation);
      });
      break;
    }
    case StepKind::CompleteDrain:
      node.draining = false;
      handle(n, HandoverComplete{now_}, violation);
      break;
    case StepKind::Boot: {
      node.up = true;
      node.learned = 0;
      node.isolatedTicks = 0;
      node.sipd = SipdHealth::Alive;
      node.sipdReady = false;
      node.role = Role::Backup;
      node.roleEpoch = 0;
      node.draining = false;
      node.ops.clear();
      DecisionConfig config = options_->config;
      config.nodeId = nodeName(n);
      node.machine.emplace(std::move(config));
      handle(n, agent::Boot{now_, node.disk}, violation);
      break;
    }
    case StepKind::HealHaLink:
      haLink_ = true;
      break;
    case StepKind::HealServicePath:
      servicePath_ = true;
      break;
    case StepKind::HealServiceLink:
      node.serviceLink = true;
      break;
    case StepKind::WitnessUp:
      witnessUp_ = true;
      break;
    case StepKind::SipdRecovers:
      node.sipd = SipdHealth::Alive;
      node.sipdReady = false;
      handle(n, LocalSipdState{now_, SipdHealth::Alive, false}, violation);
      break;
    case StepKind::SipdCatchesUp:
      node.sipdReady = true;
      handle(n, LocalSipdState{now_, SipdHealth::Alive, true}, violation);
      break;
    case StepKind::CutHaLink:
      haLink_ = false;
      dropMessagesOn(Path::HaLink);
      break;
    case StepKind::CutServicePath:
      servicePath_ = false;
      dropMessagesOn(Path::Service);
      break;
    case StepKind::CutServiceLink:
      node.serviceLink = false;
      dropMessagesOn(Path::Service);
      break;
    case StepKind::WitnessDown:
      witnessUp_ = false;
      break;
    case StepKind::Crash:
      // The node's processes die with it (the VIP with netcfg); the disk and the driver's
      // sequence counter stay; heartbeats it sent are still on the wire.
      node.up = false;
      node.learned = 0;
      node.isolatedTicks = 0;
      node.machine.reset();
      node.ops.clear();
      node.role = Role::Backup;
      node.roleEpoch = 0;
      node.sipd = SipdHealth::Alive;
      node.sipdReady = false;
      node.draining = false;
      break;
    case StepKind::SipdDies:
    case StepKind::SipdHangs: {
      // The agent sees both at once (pidfd / the watchdog): one step.
      node.sipd = step.kind == StepKind::SipdDies ? SipdHealth::Dead : SipdHealth::Hung;
      node.sipdReady = false;
      handle(n, LocalSipdState{now_, node.sipd, false}, violation);
      break;
    }
    case StepKind::SipdFallsBehind:
      node.sipdReady = false;
      handle(n, LocalSipdState{now_, SipdHealth::Alive, false}, violation);
      break;
    case StepKind::Switchover:
      handle(n, SwitchoverRequested{now_}, violation);
      break;
  }

  for (std::size_t i = 0; i < kNodes && !violation; ++i) {
    const Node& x = nodes_[i];
    if (!x.up) continue;
    if (x.sipd != SipdHealth::Alive && x.role == Role::Primary)
      violation = Violation{
          "FailedSipdNeverPrimary",
          std::string{nodeName(i)} + " holds primary with its sipd " + healthName(x.sipd)};
    const DecisionState& s = x.machine->state();
    if (!violation && (s.role != x.role || s.epoch != x.roleEpoch))
      violation = Violation{"RoleConsistent", std::string{nodeName(i)} +
                                                  ": the decision and sipd disagree on the role"};
  }
  if (!(serving(0) && serving(1))) splitTicks_ = 0;  // counts one split brain, not several
  if (!violation && !splitBefore && serving(0) && serving(1) &&
      step.kind != StepKind::HealServiceLink)
    violation = Violation{"NoTwoServingPrimaries",
                          "both nodes serve after \"" + describe(step) +
                              "\" (only a service link that heals under a cut-off primary may "
                              "do that)"};
  log_ = nullptr;
  return violation;
}

void World::handle(std::size_t n, const Event& event, std::optional<Violation>& violation) {
  // A decision that keeps asking while the driver answers at once never lets time move on.
  if (++eventsThisStep_ > kMaxEventsPerStep) {
    if (!violation)
      violation = Violation{"DecisionSettles", std::string{nodeName(n)} + ": more than " +
                                                   std::to_string(kMaxEventsPerStep) +
                                                   " events in one instant"};
    return;
  }
  if (log_) *log_ << "    " << nodeName(n) << " <- " << describeEvent(event) << "\n";
  // Action lists reused across calls (handle() nests while the driver answers; a deque keeps
  // the outer lists where they are when it grows).
  thread_local std::deque<RoleMachine::Actions> pool;
  thread_local std::size_t depth = 0;
  if (pool.size() <= depth) pool.resize(depth + 1);
  RoleMachine::Actions& actions = pool[depth];
  actions.clear();
  nodes_[n].machine->handle(event, actions);
  ++depth;
  carryOut(n, actions, violation);
  --depth;
  if (settling_) return;
  // The driver answers what was asked, in order, before anything else happens.
  settling_ = true;
  while (nodes_[n].up && !nodes_[n].ops.empty()) completeOp(n, violation);
  settling_ = false;
}

void World::deliver(const Message& m, std::optional<Violation>& violation) {
  const std::size_t to = 1 - m.from;
  if (!nodes_[to].up || !pathUp(m.path)) return;
  nodes_[to].learned = std::max(nodes_[to].learned, m.state.epoch);
  nodes_[to].isolatedTicks = 0;  // it heard its peer (maybe one that booted and crashed since)
  handle(to, HeartbeatReceived{now_, m.path, m.state, m.seq}, violation);
}

void World::carryOut(std::size_t n, const RoleMachine::Actions& actions,
                     std::optional<Violation>& violation) {
  Node& node = nodes_[n];
  const std::size_t other = 1 - n;
  const auto fail = [&](const char* property, std::string detail) {
    if (!violation) violation = Violation{property, std::string{nodeName(n)} + ": " + detail};
  };
  for (const Action& action : actions) {
    if (log_) *log_ << "    " << nodeName(n) << " -> " << describeAction(action) << "\n";
    if (const auto* send = std::get_if<SendHeartbeat>(&action)) {
      const std::uint64_t seq = ++node.seq;
      if (!pathUp(send->path)) continue;
      // One heartbeat per channel: this one overtakes an older one still in flight.
      std::erase_if(inFlight_,
                    [&](const Message& m) { return m.from == n && m.path == send->path; });
      inFlight_.push_back(Message{static_cast<std::uint8_t>(n), send->path, send->state, seq});
    } else if (const auto* set = std::get_if<SetRole>(&action)) {
      if (set->epoch < node.roleEpoch)
        fail("EpochsMonotonic", "SetRole epoch " + std::to_string(set->epoch) +
                                    " below the epoch sipd holds, " +
                                    std::to_string(node.roleEpoch));
      if (set->role == Role::Primary && node.role != Role::Primary) {
        if (node.disk < set->epoch)
          fail("PromotionPersistedFirst", "promoted with epoch " + std::to_string(set->epoch) +
                                              " while the disk holds " + std::to_string(node.disk));
        if (set->epoch <= node.learned)
          fail("EpochsMonotonic", "promoted with epoch " + std::to_string(set->epoch) +
                                      ", not above the epoch " + std::to_string(node.learned) +
                                      " it had learned");
        if (!node.serviceLink || !witnessUp_)
          fail("PromotionNeedsWitness", "promoted while its witness cannot answer it");
        if (serving(other) && node.serviceLink && node.sipd == SipdHealth::Alive)
          fail("NoTwoServingPrimaries",
               std::string{"promoted while "} + nodeName(other) + " serves");
      }
      const bool changed = set->role != node.role;
      if (changed) tickChangedRole_ = true;
      node.learned = std::max(node.learned, set->epoch);
      node.role = set->role;
      node.roleEpoch = std::max(node.roleEpoch, set->epoch);
      if (set->role == Role::Backup) node.draining = false;
      if (changed) {
        // sipd changes role: it is not ReadyForSwitchover until it caught up again, and says so.
        node.sipdReady = false;
        node.ops.push_back(Op{OpKind::SipdReport, 0});
      }
    } else if (const auto* persist = std::get_if<PersistEpoch>(&action)) {
      node.ops.push_back(Op{OpKind::Persist, persist->epoch});
    } else if (std::holds_alternative<ProbeWitness>(action)) {
      node.ops.push_back(Op{OpKind::Witness, 0});
    } else if (std::holds_alternative<ProbeServiceAddress>(action)) {
      node.ops.push_back(Op{OpKind::ServiceAddress, 0});
    } else if (std::holds_alternative<StopTakingTransactions>(action)) {
      node.draining = true;
    } else if (std::holds_alternative<ResumeTakingTransactions>(action)) {
      node.draining = false;
    }
  }
}

void World::completeOp(std::size_t n, std::optional<Violation>& violation) {
  Node& node = nodes_[n];
  const Op op = node.ops.front();
  node.ops.erase(node.ops.begin());
  const std::size_t other = 1 - n;
  switch (op.kind) {
    case OpKind::Witness:
      handle(n, WitnessResult{now_, node.serviceLink && witnessUp_}, violation);
      break;
    case OpKind::ServiceAddress: {
      ServiceAddressProbed probed{now_};
      if (!node.serviceLink) {
        probed.result = ServiceAddress::Unknown;
      } else if (options_->probeSeesPeer && serving(other)) {
        probed.result = ServiceAddress::ServedByOther;
        probed.serverNodeId = nodeName(other);
        probed.serverEpoch = nodes_[other].roleEpoch;
        node.learned = std::max(node.learned, probed.serverEpoch);
      } else {
        probed.result = ServiceAddress::NotServed;
      }
      handle(n, probed, violation);
      break;
    }
    case OpKind::Persist:
      if (op.epoch < node.disk && !violation)
        violation = Violation{"EpochsMonotonic", std::string{nodeName(n)} +
                                                     ": the epoch on disk would go down to " +
                                                     std::to_string(op.epoch)};
      node.disk = std::max(node.disk, op.epoch);
      handle(n, EpochPersisted{now_, op.epoch, true}, violation);
      break;
    case OpKind::SipdReport:
      handle(n, LocalSipdState{now_, node.sipd, node.sipdReady}, violation);
      break;
  }
}

std::string_view World::key() const {
  // A time is compared only with its own interval: its age beyond that interval is "long ago".
  const auto age = [&](TimePoint t, Duration interval) -> std::uint64_t {
    const std::int64_t cap = (interval + options_->tick - Duration{1}) / options_->tick;
    if (t == kNever) return static_cast<std::uint64_t>(cap);
    return static_cast<std::uint64_t>(std::min<std::int64_t>((now_ - t) / options_->tick, cap));
  };
  const DecisionConfig& c = options_->config;

  // Epochs: only their differences matter.
  std::uint64_t low = UINT64_MAX;
  const auto see = [&](std::uint64_t e) { low = std::min(low, e); };
  for (const Node& node : nodes_) {
    see(node.disk);
    if (!node.up) continue;
    see(node.roleEpoch);
    see(node.learned);
    for (const Op& op : node.ops)
      if (op.kind == OpKind::Persist) see(op.epoch);
    const DecisionState& s = node.machine->state();
    see(s.epoch);
    see(s.persistedEpoch);
    see(s.highestSeen);
    see(s.advertised.epoch);
    if (s.phase == Phase::Promoting) see(s.promotionEpoch);
    if (s.peerKnown) see(s.peer.epoch);
  }
  for (const Message& m : inFlight_) see(m.state.epoch);

  // Sequence numbers: only the order of a sender's heartbeats in flight and of the last one its
  // peer applied matters (whatever it sends later is newer than all of them).
  std::array<std::vector<std::uint64_t>, kNodes> seqs;
  for (std::size_t n = 0; n < kNodes; ++n) {
    const Node& receiver = nodes_[1 - n];
    if (receiver.up && receiver.machine->state().peerKnown)
      seqs[n].push_back(receiver.machine->state().peerSeq);
  }
  for (const Message& m : inFlight_) seqs[m.from].push_back(m.seq);
  for (auto& v : seqs) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
  }
  const auto rank = [&](std::size_t sender, std::uint64_t seq) -> std::uint64_t {
    return static_cast<std::uint64_t>(
        std::lower_bound(seqs[sender].begin(), seqs[sender].end(), seq) - seqs[sender].begin());
  };

  const auto writeState = [&](KeyWriter& w, const PeerState& p) {
    w.text(p.nodeId);
    w.u8(static_cast<std::uint8_t>(p.role));
    w.u64(p.epoch - low);
    w.u8((p.failing ? 1 : 0) | (p.ready ? 2 : 0) | (p.witnessOk ? 4 : 0) | (p.handingOver ? 8 : 0) |
         (p.monitored ? 16 : 0));
  };

  thread_local KeyWriter w;
  w.size = 0;
  w.u8((haLink_ ? 1 : 0) | (servicePath_ ? 2 : 0) | (witnessUp_ ? 4 : 0));
  w.u8(static_cast<std::uint8_t>(splitTicks_));
  for (std::size_t n = 0; n < kNodes; ++n) {
    const Node& node = nodes_[n];
    w.u8((node.up ? 1 : 0) | (node.serviceLink ? 2 : 0));
    w.u64(node.disk - low);
    if (!node.up) continue;
    w.u8(static_cast<std::uint8_t>(node.sipd));
    w.u8((node.sipdReady ? 1 : 0) | (node.draining ? 2 : 0));
    w.u8(static_cast<std::uint8_t>(node.role));
    w.u64(node.roleEpoch - low);
    w.u64(node.learned - low);
    w.u8(static_cast<std::uint8_t>(node.isolatedTicks));
    w.u8(node.ops.size());
    for (const Op& op : node.ops) {
      w.u8(static_cast<std::uint8_t>(op.kind));
      if (op.kind == OpKind::Persist) w.u64(op.epoch - low);
    }
    const DecisionState& s = node.machine->state();
    w.u8(static_cast<std::uint8_t>(s.phase));
    if (s.phase == Phase::Starting) w.u64(age(s.bootAt, c.startupWait));
    if (s.phase == Phase::HandingOver) w.u64(age(s.phaseSince, c.handoverTimeout));
    if (s.phase == Phase::Draining) w.u64(age(s.phaseSince, c.drainTimeout));
    w.u8(static_cast<std::uint8_t>(s.role));
    w.u64(s.epoch - low);
    w.u64(s.persistedEpoch - low);
    w.u64(s.highestSeen - low);
    w.u8(static_cast<std::uint8_t>(s.sipd));
    w.flag(s.sipdReady);
    w.flag(s.peerKnown);
    if (s.peerKnown) {
      writeState(w, s.peer);
      w.u64(rank(1 - n, s.peerSeq));
    }
    // The decision reads the paths only through "silent on every path": the latest counts.
    w.u64(age(*std::max_element(s.heard.begin(), s.heard.end()), c.deadInterval));
    w.u64(age(s.witnessOkAt, c.witnessDeadInterval + c.heartbeatInterval));
    w.flag(s.peerHasWitness);
    w.u64(age(s.witnessAskedAt, c.witnessInterval));
    w.u8((s.witnessPending ? 1 : 0) | (s.witnessStale ? 2 : 0) | (s.servicePending ? 4 : 0) |
         (s.serviceStale ? 8 : 0) | (s.persistPending ? 16 : 0));
    if (s.phase == Phase::Primary || s.phase == Phase::Draining)
      w.u64(age(s.serviceAskedAt, c.serviceProbeInterval));
    if (s.phase == Phase::Promoting) {
      w.u8(static_cast<std::uint8_t>(s.step));
      w.u64(s.promotionEpoch - low);
    }
    w.u64(age(s.backoffFrom, c.promotionRetry));
    w.u64(age(s.heartbeatAt, c.heartbeatInterval));
    writeState(w, s.advertised);
  }
  // The network is a multiset: its messages in a canonical order.
  std::vector<std::string> messages;
  for (const Message& m : inFlight_) {
    thread_local KeyWriter mw;
    mw.size = 0;
    mw.u8(m.from);
    mw.u8(static_cast<std::uint8_t>(m.path));
    writeState(mw, m.state);
    mw.u64(rank(m.from, m.seq));
    messages.emplace_back(mw.view());
  }
  std::sort(messages.begin(), messages.end());
  w.u8(messages.size());
  for (const std::string& m : messages) w.text(m);
  return w.view();
}

std::string World::summary() const {
  std::ostringstream out;
  out << "t=" << (now_.time_since_epoch() - Duration{1000}).count() << "ms";
  for (std::size_t n = 0; n < kNodes; ++n) {
    const Node& node = nodes_[n];
    out << " | " << nodeName(n) << ": ";
    if (!node.up) {
      out << "down (disk e" << node.disk << ")";
      continue;
    }
    const DecisionState& s = node.machine->state();
    out << phaseName(s.phase) << " " << common::roleName(node.role) << "/e" << node.roleEpoch
        << " sipd " << healthName(node.sipd) << (node.sipdReady ? " ready" : "")
        << (node.serviceLink ? "" : " SERVICE-LINK-CUT") << (serving(n) ? " SERVING" : "");
  }
  out << " | ha " << (haLink_ ? "up" : "CUT") << ", service path " << (servicePath_ ? "up" : "CUT")
      << ", witness " << (witnessUp_ ? "up" : "DOWN") << ", " << inFlight_.size() << " in flight";
  return out.str();
}

}  // namespace sipha::agent::model
