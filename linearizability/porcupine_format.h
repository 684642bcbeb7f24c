// Reader for porcupine's key/value test histories (the EDN-like files of
// testdata/linearizability/kv/), one event per line:
//
//   {:process 3, :type :invoke, :f :append, :key "4", :value "x 3 1 y"}
//   {:process 3, :type :ok, :f :append, :key "4", :value "x 3 1 y"}
//
// :type :invoke starts a call of process :process; :ok returns it (a get's
// :ok carries the value read); :fail means it did not happen (dropped);
// :info means its outcome is unknown (pending). A get's invoke has
// :value nil. Times are event positions. A return must have its call's :f
// (and :key, if it has one): anything else is a malformed file.
#ifndef RAFTLAB_LINEARIZABILITY_PORCUPINE_FORMAT_H_
#define RAFTLAB_LINEARIZABILITY_PORCUPINE_FORMAT_H_

#include <istream>
#include <string>

#include "linearizability/text_format.h"

namespace linearizability {

// Throws ParseError (lex.h) on malformed input.
KvHistory ReadPorcupineKvHistory(std::istream& in, const std::string& source);

}  // namespace linearizability

#endif  // RAFTLAB_LINEARIZABILITY_PORCUPINE_FORMAT_H_
