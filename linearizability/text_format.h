// raftlab's own history file format for key/value histories: one operation
// per line, easy to write from a test harness and to edit by hand.
//
//   # comment                    (a token starting with # ends the line)
//   unit ns                      (ns | us | ms | s | none; default ns; only
//                                 the picture's time labels use it)
//   fault <start> <end> <label>  (something the harness did; <end> is - if
//                                 it lasted to the end of the history)
//   <client> <call> <return> <op> <key> <value> <output>
//
// <client> is an integer >= 0; <call> and <return> integers with call <=
// return, or <return> = - for a call that never returned (pending: it may or
// may not have taken effect). <op> is get, put or append. The other fields
// are strings. A string is either a bare word (no blanks, no '"', not
// starting with '#') or a C-style quoted string: "x 0 1 y", with escapes
// \" \\ \n \t \r \0 \xHH. Two bare words are special: - is the empty string
// (write "-" for a dash), and ? as <output> means the output was never seen
// (required for a pending get; any value is then accepted).
// <value> is - for get; <output> is - for put and append.
//
//   unit ms
//   fault 120 900 "partition [0 1] [2 3 4]"
//   fault 450 - "unreliable network"
//   0 100 130 put k "x 0 0 y" -
//   1 110 140 get k - "x 0 0 y"
//   2 150 - append k "x 2 0 y" -
#ifndef RAFTLAB_LINEARIZABILITY_TEXT_FORMAT_H_
#define RAFTLAB_LINEARIZABILITY_TEXT_FORMAT_H_

#include <istream>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "linearizability/kv_model.h"
#include "linearizability/operation.h"

namespace linearizability {

using KvOperation = Operation<KvInput, KvOutput>;

// A key/value history as read from a file.
struct KvHistory {
  std::vector<KvOperation> ops;
  std::vector<Fault> faults;
  // Clock ticks per second, for the picture's labels; 0 for unitless times
  // (event positions).
  double ticks_per_second = 1e9;
};

// Reads the format above. Throws ParseError (lex.h) naming `source` and the
// line on malformed input.
KvHistory ReadTextHistory(std::istream& in, const std::string& source);

// Writes ops and faults in the format above; `unit` is written as the unit
// line (ns, us, ms, s or none).
void WriteTextHistory(std::ostream& out, const std::vector<KvOperation>& ops,
                      const std::vector<Fault>& faults = {},
                      std::string_view unit = "ns");

// Ticks per second for a unit name, or -1 if it is not one.
double TicksPerSecond(std::string_view unit);

}  // namespace linearizability

#endif  // RAFTLAB_LINEARIZABILITY_TEXT_FORMAT_H_
