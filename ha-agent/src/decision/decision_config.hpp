#pragma once
// The role decision's timers (docs/ha-agent.md, "Timers and defaults", for why each default is
// what it is). The agent reads them from `[ha]`; validate() refuses combinations that would break
// the protocol's assumptions (a dead interval shorter than three heartbeats flaps on one lost
// packet; a start-up wait shorter than the dead interval promotes before a booting peer could
// have been heard).
#include <string>
#include <vector>

#include "decision/time.hpp"

namespace sipha::agent {

struct DecisionConfig {
  std::string nodeId;                  // this node's [ha] node-id
  Duration heartbeatInterval{20};      // per path
  Duration deadInterval{100};          // silent on every path this long: peer lost
  Duration startupWait{3000};          // a booting node waits this long for its peer
  Duration witnessInterval{20};        // ICMP echo to the witness
  Duration witnessDeadInterval{100};   // no answer this long: witness lost
  Duration serviceProbeInterval{100};  // a primary checks nobody else serves
  Duration promotionRetry{100};        // after a promotion was abandoned
  Duration drainTimeout{1000};         // switchover: replication must drain in this
  Duration handoverTimeout{1000};      // switchover: the peer must take over in this
  // Probe awareness (docs/ha-agent.md): a primary the BIG-IP's monitor has not reached for this
  // long, while it reaches the peer, hands over. 0: off (takeover mode, and the default here;
  // the agent sets the reference monitor's 4 s timeout behind a BIG-IP).
  Duration monitorTimeout{0};
};

// One line per problem; empty when the configuration is usable.
std::vector<std::string> validate(const DecisionConfig& config);

}  // namespace sipha::agent
