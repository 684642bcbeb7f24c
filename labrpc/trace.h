// Debug tracing: one line per event, "<time> <TOPIC> S<peer> <message>",
// written by the fabric, Raft, the services and the test harness into one
// stream. Off by default; when off, a LAB_TRACE costs one branch on a
// global flag.
//
// Turn it on with LAB_DEBUG=all or LAB_DEBUG=vote,log,commit (topics are
// free-form lower-case words: election, vote, leader, term, log, commit,
// persist, snapshot, apply, client, drop, test, ...). Lines go to stderr, or
// to the file named by LAB_DEBUG_FILE. Time is the world's clock (virtual
// under sim), so the same sim seed gives a byte-identical trace. Each world
// adds a header line and, under sim, a footer line, both starting with "#".
//
//   LAB_TRACE("vote", me_, "grant vote to S%d in term %d", cand, term);
#ifndef RAFTLAB_LABRPC_TRACE_H_
#define RAFTLAB_LABRPC_TRACE_H_

#include <chrono>
#include <cstdarg>
#include <functional>
#include <string>
#include <string_view>

namespace labrpc {

class World;

namespace internal {
extern bool trace_any_enabled;
// World::Run's header and footer lines, when tracing is on: the header
// names what fixes the run (runtime, seed, sim schedule version, latency,
// fuzzing), so a trace says how to reproduce it; the sim footer carries the
// scheduler's hash of every task switch, so that two traces compare equal
// only if the whole schedules do, not just the lines that were traced.
void TraceWorldStart(const World& world);
void TraceWorldEnd(const World& world);
}  // namespace internal

// True if any topic is enabled (cheap).
inline bool TraceAnyEnabled() { return internal::trace_any_enabled; }
// True if `topic` is enabled.
bool TraceEnabled(std::string_view topic);
// Writes one trace line (time, topic, peer, message). peer < 0 prints "--".
void TraceLine(std::string_view topic, int peer, const std::string& message);
// As TraceLine, with the time given (read by labrpc::Now() in the world):
// for a line written after the world's Run has returned, such as the test
// glue's line about a world that failed.
void TraceLineAt(std::chrono::nanoseconds now, std::string_view topic, int peer,
                 const std::string& message);
// printf-style formatting into a std::string.
std::string Sprintf(const char* format, ...)
    __attribute__((format(printf, 1, 2)));

// Re-reads LAB_DEBUG / LAB_DEBUG_FILE, or sets the topics directly
// ("" turns tracing off). Not safe while tasks are tracing.
void TraceConfigureFromEnv();
void TraceConfigure(std::string_view topics);
// Sends trace lines to `sink` instead of stderr/the file (nullptr restores).
void SetTraceSink(std::function<void(const std::string& line)> sink);

}  // namespace labrpc

#define LAB_TRACE(topic, peer, ...)                                     \
  do {                                                                  \
    if (::labrpc::TraceAnyEnabled() && ::labrpc::TraceEnabled(topic))   \
      ::labrpc::TraceLine(topic, peer, ::labrpc::Sprintf(__VA_ARGS__)); \
  } while (0)

#endif  // RAFTLAB_LABRPC_TRACE_H_
