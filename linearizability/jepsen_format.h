// Reader for the Jepsen etcd logs (testdata/linearizability/jepsen-etcd/,
// from the linearizability-checker project via porcupine): a
// compare-and-set register history. The lines that matter look like
//
//   INFO  jepsen.util - 3	:invoke	:cas	[3 0]
//
// (process, type, f, value); every other line is ignored. Semantics:
// :invoke starts a call (read nil | write N | cas [from to]); :ok returns
// it (a read's value, or nil for no value); :fail on a cas is a completed
// call whose compare failed; :fail on a read is a read with unknown result
// (ends its window there); :fail on a write means it did not happen (it is
// dropped); :info, or no return at all, leaves the call pending with an
// unknown outcome. Times are event positions.
#ifndef RAFTLAB_LINEARIZABILITY_JEPSEN_FORMAT_H_
#define RAFTLAB_LINEARIZABILITY_JEPSEN_FORMAT_H_

#include <istream>
#include <string>
#include <vector>

#include "linearizability/operation.h"
#include "linearizability/register_model.h"

namespace linearizability {

using RegisterOperation = Operation<RegisterInput, RegisterOutput>;

struct RegisterHistory {
  std::vector<RegisterOperation> ops;
};

// Throws ParseError (lex.h) on a malformed line that matters.
RegisterHistory ReadJepsenHistory(std::istream& in, const std::string& source);

}  // namespace linearizability

#endif  // RAFTLAB_LINEARIZABILITY_JEPSEN_FORMAT_H_
