#include "decision/decision_config.hpp"

namespace sipha::agent {

namespace {

std::string ms(Duration d) { return std::to_string(d.count()) + " ms"; }

}  // namespace

std::vector<std::string> validate(const DecisionConfig& c) {
  std::vector<std::string> problems;
  if (c.nodeId.empty()) problems.emplace_back("node-id is empty");
  const auto positive = [&](Duration d, const char* name) {
    if (d <= Duration::zero()) problems.push_back(std::string{name} + " must be positive");
  };
  positive(c.heartbeatInterval, "heartbeat interval");
  positive(c.witnessInterval, "witness interval");
  positive(c.serviceProbeInterval, "service probe interval");
  positive(c.promotionRetry, "promotion retry");
  positive(c.drainTimeout, "drain timeout");
  positive(c.handoverTimeout, "handover timeout");
  if (c.deadInterval < 3 * c.heartbeatInterval)
    problems.push_back("dead interval " + ms(c.deadInterval) +
                       " is shorter than three heartbeat intervals (" +
                       ms(3 * c.heartbeatInterval) + "): one lost heartbeat would flap");
  if (c.witnessDeadInterval < 2 * c.witnessInterval)
    problems.push_back("witness dead interval " + ms(c.witnessDeadInterval) +
                       " is shorter than two witness intervals (" + ms(2 * c.witnessInterval) +
                       ")");
  if (c.startupWait < c.deadInterval)
    problems.push_back("start-up wait " + ms(c.startupWait) +
                       " is shorter than the dead interval " + ms(c.deadInterval));
  return problems;
}

}  // namespace sipha::agent
