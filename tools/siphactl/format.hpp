#pragma once
// Everything siphactl prints, as pure functions of the agent's values: the status table, the
// JSON for scripts, history lines, watch lines, switchover outcomes. Times are shown in the local
// time zone (TZ), as ISO 8601 with milliseconds and the UTC offset.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "siphactl/agent_status.hpp"

namespace sipha::siphactl {

// 2026-11-26T14:03:07.123+01:00 (local time of `unixUs`, microseconds since the epoch).
std::string formatTimestamp(std::uint64_t unixUs);

// How long ago, for heartbeat ages: "12 ms", "1.5 s", "42 s", "3 min 20 s", "2 h 5 min",
// "never" (kNever).
std::string formatAge(std::uint64_t ms);

// What the operator should look at, one short sentence each; empty when the pair is healthy
// (one primary and one backup in steady phases, both sipds up, every heartbeat path alive, both
// nodes reach the witness, the backup ready for switchover).
std::vector<std::string> assessStatus(const AgentStatus& status);

// `siphactl status`: the assessment line, then an aligned table (this node | peer as heard) and
// the last transition. Ends with a newline.
std::string formatStatus(const AgentStatus& status);

// `siphactl status --json`: one line, the structure in docs/siphactl.md.
std::string statusJson(const AgentStatus& status);

// One history entry on one line (no newline), the phases padded so that lines align:
// <time>  <from> -> <to>  <reason>  (<role>, epoch <n>)[, promoted while not ready...][: detail]
std::string formatTransition(const Transition& transition);
// The same without the time and the padding (watch prints it after its own timestamp).
std::string formatTransitionBody(const Transition& transition);

// `siphactl history`: one line per entry, oldest first; a line saying so when there is none.
std::string formatHistory(const std::vector<Transition>& history);

// `siphactl history --json`: one line, an array of entries.
std::string historyJson(const std::vector<Transition>& history);

// `siphactl watch`: the lines (no timestamp, no newline) a change of `property` to `after`
// prints, given the values known before; none when nothing an operator sees changed (a heartbeat
// age alone, the counters, LastTransition — the Transition signal prints that).
std::vector<std::string> describeChange(std::string_view property, const AgentStatus& before,
                                        const PropertyValue& after);

// One line about this node: "sipha-a: primary, phase primary, epoch 7, sipd alive; peer sipha-b
// backup" (watch, when it starts and when the agent comes back).
std::string formatSummary(const AgentStatus& status);

// `siphactl switchover` succeeded: "switched over: <peer> is primary with epoch N".
std::string formatSwitchoverDone(std::string_view peerNodeId, std::uint64_t epoch);

// `siphactl switchover` failed with the agent's reason. `now` is the status read after the
// refusal (when it could be read): on a backup the message says to run the command on the
// primary and names it.
std::string formatSwitchoverFailed(bool abandoned, std::string_view reason,
                                   const std::optional<AgentStatus>& now);

}  // namespace sipha::siphactl
