#pragma once
// The small world the exhaustive exploration runs the role decision in (docs/ha-agent.md, "The
// exhaustive test"): two nodes, each a RoleMachine with the driver around it modelled — its
// sipd (alive, dead, hung; ready or not), the role sipd and netcfg hold, the epoch on disk, the
// heartbeat sequence counter — a witness, and the network between them:
//
//   node a ==HA link== node b        heartbeats on the HA link (one cable, can be cut)
//     |                  |
//   service link a    service link b  each node's service link (cut: that node loses its
//     \___ service network ___/       witness, its clients, the service path and the probe)
//           |     witness             heartbeats between the nodes on the service network can
//                                     also be cut alone (the partition in which both nodes still
//                                     reach the witness)
//
// Time advances in ticks; each tick is one step in which the adversary also decides, for each
// direction, the fate of the heartbeats in flight: delivered before the nodes' tick (on time),
// after it (a tick late) or lost. A (sender, path) channel holds one heartbeat: a newer one sent
// before the older was delivered overtakes it (the older is lost), so a sender's heartbeats in
// flight always say the same thing; the decision reads the paths only through "silent on every
// path", so a fate per direction is as good as one per heartbeat, and the newest heartbeat
// stands for them all. Which node hears and ticks first is chosen too. Faults and recoveries are
// steps between ticks. The driver's operations (witness probe, service address probe, epoch
// write, sipd's readiness report after a role change) are answered at once, in order, truthfully
// at that moment, before anything else happens.
//
// "Serving": up, sipd alive, holding the primary role (sipd and netcfg), service link up — what
// clients reach. The service address probe answers truthfully what the asker can see: the other
// node when it serves (ServedByOther, with its epoch) and the asker's service link is up.
#include <array>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "decision/role_machine.hpp"

namespace sipha::agent::model {

inline constexpr std::size_t kNodes = 2;

struct Options {
  DecisionConfig config;  // nodeId is set per node ("a", "b")
  Duration tick{10};
  // false: the service address probe never sees the other node (a driver without a signal, or
  // a partition that blocks the probe as well as the heartbeats): the unprotected case.
  bool probeSeesPeer = true;
};

// Options with timers scaled to a few ticks but in the relations of the defaults.
Options modelOptions();

enum class StepKind : std::uint8_t {
  // progress (free)
  Tick,           // node: which ticks first; fates: 2 bits per sender (Fate)
  CompleteDrain,  // the node's sipd drained its replication (HandoverComplete)
  // recoveries (free)
  Boot,
  HealHaLink,
  HealServicePath,
  HealServiceLink,
  WitnessUp,
  SipdRecovers,
  SipdCatchesUp,
  // faults (each spends one from the budget)
  CutHaLink,
  CutServicePath,
  CutServiceLink,
  WitnessDown,
  Crash,
  SipdDies,
  SipdHangs,
  SipdFallsBehind,
  Switchover,
};

enum class Fate : std::uint8_t { OnTime, Late, Lost };

struct Step {
  StepKind kind = StepKind::Tick;
  std::uint8_t node = 0;
  std::uint8_t fates = 0;  // Tick: Fate of the heartbeats node n sent in bits 2n..2n+1
};

inline Fate fateOf(const Step& step, std::size_t sender) {
  return static_cast<Fate>((step.fates >> (2 * sender)) & 3);
}

bool isFault(StepKind kind);

// Which faults an exploration uses.
using FaultSet = std::uint32_t;
constexpr FaultSet faultBit(StepKind kind) { return FaultSet{1} << static_cast<unsigned>(kind); }
inline constexpr FaultSet kAllFaults = ~FaultSet{0};
std::string describe(const Step& step);

struct Violation {
  std::string property;
  std::string detail;
};

struct Message {
  std::uint8_t from = 0;
  Path path = Path::HaLink;
  PeerState state;
  std::uint64_t seq = 0;
};

enum class OpKind : std::uint8_t { Witness, ServiceAddress, Persist, SipdReport };

struct Op {
  OpKind kind = OpKind::Witness;
  std::uint64_t epoch = 0;
};

struct Node {
  bool up = false;
  std::optional<RoleMachine> machine;
  SipdHealth sipd = SipdHealth::Alive;
  bool sipdReady = false;
  Role role = Role::Backup;  // what sipd and netcfg hold
  std::uint64_t roleEpoch = 0;
  std::uint64_t disk = 0;  // the persisted epoch: survives a crash
  std::uint64_t seq = 0;   // the driver's heartbeat counter: grows across restarts
  bool serviceLink = true;
  bool draining = false;  // StopTakingTransactions in force
  std::vector<Op> ops;
  // For the properties: the highest epoch its agent has been told of since it booted (heartbeats,
  // service address answers, its own roles), and for how many tick boundaries in a row it has
  // held the primary role with neither its witness nor its peer reachable, and heard no
  // heartbeat.
  std::uint64_t learned = 0;
  int isolatedTicks = 0;
};

class World {
 public:
  explicit World(const Options& options);

  // Every step the world allows now (faults of `faults` only while `faultsLeft` > 0). The first
  // is always the tick with every heartbeat on time (the calm schedule).
  void enabledSteps(int faultsLeft, FaultSet faults, std::vector<Step>& out) const;
  // Applies one step (the caller passes only enabled ones); the first broken safety property,
  // if any. `log`: each event and action, for a trace.
  std::optional<Violation> apply(const Step& step, std::ostream* log = nullptr);

  // What the properties read.
  bool serving(std::size_t n) const;
  bool healthy(std::size_t n) const { return nodes_[n].up && nodes_[n].sipd == SipdHealth::Alive; }
  const Node& node(std::size_t n) const { return nodes_[n]; }
  TimePoint now() const { return now_; }
  const std::vector<Message>& inFlight() const { return inFlight_; }
  int splitTicks() const { return splitTicks_; }
  int splitBound() const;
  int isolationBound() const;

  // The state with times relative to now (capped), epochs relative to the lowest, sequence
  // numbers by rank and the network as a multiset: two worlds with the same key behave the same.
  // Valid until the next call (a per-thread buffer).
  std::string_view key() const;
  // Whether the last tick changed a role: only then can "b first" end differently from "a
  // first" (what a node does in a tick reads the other node only through its role, in the
  // service address probe), so the explorer tries both orders only then.
  bool tickOrderMatters() const { return tickChangedRole_; }
  std::string summary() const;  // one line, for traces

 private:
  void handle(std::size_t n, const Event& event, std::optional<Violation>& violation);
  void carryOut(std::size_t n, const RoleMachine::Actions& actions,
                std::optional<Violation>& violation);
  void deliver(const Message& m, std::optional<Violation>& violation);
  bool pathUp(Path path) const;
  void dropMessagesOn(Path path);
  void completeOp(std::size_t n, std::optional<Violation>& violation);

  const Options* options_;
  TimePoint now_{};
  std::array<Node, kNodes> nodes_;
  bool haLink_ = true;
  bool servicePath_ = true;
  bool witnessUp_ = true;
  std::vector<Message> inFlight_;
  int splitTicks_ = 0;
  bool settling_ = false;
  static constexpr int kMaxEventsPerStep = 200;
  int eventsThisStep_ = 0;
  bool tickChangedRole_ = false;  // answering driver operations (handle() is re-entered)
  std::ostream* log_ = nullptr;
};

}  // namespace sipha::agent::model
