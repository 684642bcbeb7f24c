// The data behind the HTML picture of a checked history, and the template
// that builds it from a model, the history and a verbose check's info:
// descriptions of every operation, and every partial linearization replayed
// through the model to describe the state after each step.
#ifndef RAFTLAB_LINEARIZABILITY_VISUALIZATION_H_
#define RAFTLAB_LINEARIZABILITY_VISUALIZATION_H_

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "linearizability/info.h"
#include "linearizability/model.h"
#include "linearizability/operation.h"

namespace linearizability {

struct VisOperation {
  int client_id = 0;
  Time call = 0;
  Time ret = 0;  // meaningless if pending
  bool pending = false;
  std::string description;
  size_t history_index = 0;
  // Index into the partition's partials of the longest one containing this
  // operation, or -1.
  int largest = -1;
};

struct VisStep {
  uint32_t op = 0;    // local id within the partition
  std::string state;  // the model state after this step, described
};

struct VisPartition {
  std::string key;
  CheckResult result = CheckResult::kUnknown;
  std::string initial_state;
  std::vector<VisOperation> ops;
  std::vector<std::vector<VisStep>> partials;  // longest first
  int failing_op = -1;                         // local id, or -1
};

struct VisualizationData {
  std::string title = "linearizability check";
  CheckResult result = CheckResult::kUnknown;
  std::vector<VisPartition> partitions;
  std::vector<Fault> faults;
  // Clock ticks per second, for time labels; 0 means unitless times.
  double ticks_per_second = 1e9;
};

// Builds the picture's data. `info` must come from CheckOperationsVerbose on
// this model and history. Throws std::logic_error if a recorded partial
// linearization does not replay (a model whose Step is not deterministic).
template <Model M>
VisualizationData MakeVisualization(
    const M& model,
    const std::vector<Operation<typename M::Input, typename M::Output>>&
        history,
    const LinearizationInfo& info, std::vector<Fault> faults = {},
    double ticks_per_second = 1e9) {
  VisualizationData data;
  data.result = info.result;
  data.faults = std::move(faults);
  data.ticks_per_second = ticks_per_second;
  for (const PartitionInfo& p : info.partitions) {
    VisPartition vp;
    vp.key = p.key;
    vp.result = p.result;
    vp.failing_op = p.failing_op;
    vp.initial_state = model_traits::DescribeState(model, model.Init());
    for (size_t local = 0; local < p.ops.size(); local++) {
      const auto& op = history.at(p.ops[local]);
      VisOperation v;
      v.client_id = op.client_id;
      v.call = op.call;
      v.ret = op.ret;
      v.pending = op.pending;
      v.description =
          model_traits::DescribeOperation(model, op.input, op.output);
      v.history_index = p.ops[local];
      v.largest = local < p.largest.size() ? p.largest[local] : -1;
      vp.ops.push_back(std::move(v));
    }
    for (const std::vector<uint32_t>& seq : p.partials) {
      std::vector<VisStep> steps;
      typename M::State state = model.Init();
      for (uint32_t local : seq) {
        const auto& op = history.at(p.ops.at(local));
        std::optional<typename M::State> next =
            model.Step(state, op.input, op.output);
        if (!next) {
          throw std::logic_error(
              "a partial linearization does not replay: is the model's Step "
              "deterministic?");
        }
        state = std::move(*next);
        steps.push_back({local, model_traits::DescribeState(model, state)});
      }
      vp.partials.push_back(std::move(steps));
    }
    data.partitions.push_back(std::move(vp));
  }
  return data;
}

// Writes the picture as one self-contained HTML page (inline CSS and
// JavaScript, no network access).
void WriteHtml(std::ostream& out, const VisualizationData& data);

// The same into a file; false (and *error set) if it cannot be written.
bool WriteHtmlFile(const std::string& path, const VisualizationData& data,
                   std::string* error = nullptr);

}  // namespace linearizability

#endif  // RAFTLAB_LINEARIZABILITY_VISUALIZATION_H_
