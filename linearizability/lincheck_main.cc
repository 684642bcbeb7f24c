// lincheck: checks history files for linearizability from the command line,
// prints the verdict and the time taken per file, and can write the HTML
// picture. Exit status: 0 all linearizable, 1 some not, 2 unknown or error.
//
//   lincheck [--format auto|text|porcupine|jepsen] [--timeout S]
//            [--html OUT.html] [--title T] FILE...
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "linearizability/checker.h"
#include "linearizability/history_format.h"
#include "linearizability/jepsen_format.h"
#include "linearizability/kv_model.h"
#include "linearizability/lex.h"
#include "linearizability/porcupine_format.h"
#include "linearizability/register_model.h"
#include "linearizability/text_format.h"
#include "linearizability/visualization.h"

namespace lin = linearizability;

namespace {

constexpr const char* kUsage =
    "usage: lincheck [options] FILE...\n"
    "Checks each history FILE for linearizability.\n"
    "  --format F    auto (default: by content), text, porcupine or jepsen\n"
    "                (text and porcupine are key/value histories, jepsen a\n"
    "                compare-and-set register)\n"
    "  --timeout S   give up after S seconds per file (verdict unknown);\n"
    "                0 means no limit; default 10\n"
    "  --html OUT    write the picture of the (single) FILE to OUT\n"
    "  --title T     the picture's title (default: the file name)\n"
    "  --stats       print each partition's verdict and search cost (from a\n"
    "                verbose check, which searches every partition)\n"
    "Exit status: 0 all linearizable, 1 some not, 2 unknown or error.\n";

struct Options {
  std::optional<lin::HistoryFormat> format;  // none: detect
  double timeout_s = 10;
  std::string html;
  std::string title;
  bool stats = false;
  std::vector<std::string> files;
};

struct Row {
  std::string file;
  std::string format;
  size_t ops = 0;
  size_t partitions = 0;
  lin::CheckResult result = lin::CheckResult::kUnknown;
  double seconds = 0;      // wall time of the check
  double cpu_seconds = 0;  // CPU time of the check
  std::string error;
};

[[noreturn]] void UsageError(const std::string& message) {
  std::fprintf(stderr, "lincheck: %s\n%s", message.c_str(), kUsage);
  std::exit(2);
}

Options ParseArgs(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) UsageError(a + " needs a value");
      return argv[++i];
    };
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else if (a == "--format") {
      std::string f = value();
      if (f != "auto") {
        o.format = lin::FormatFromName(f);
        if (!o.format) UsageError("unknown format '" + f + "'");
      }
    } else if (a == "--timeout") {
      std::string t = value();
      char* end = nullptr;
      o.timeout_s = std::strtod(t.c_str(), &end);
      if (t.empty() || *end != '\0' || o.timeout_s < 0) {
        UsageError("--timeout needs a number of seconds >= 0");
      }
    } else if (a == "--html") {
      o.html = value();
    } else if (a == "--stats") {
      o.stats = true;
    } else if (a == "--title") {
      o.title = value();
    } else if (a.size() > 1 && a[0] == '-') {
      UsageError("unknown option " + a);
    } else {
      o.files.push_back(a);
    }
  }
  if (o.files.empty()) UsageError("no history file given");
  if (!o.html.empty() && o.files.size() != 1) {
    UsageError("--html needs exactly one FILE");
  }
  return o;
}

// Checks one parsed history with `model`, timing the check only, and writes
// the picture if asked.
template <lin::Model M>
void Check(
    const M& model,
    const std::vector<lin::Operation<typename M::Input, typename M::Output>>&
        ops,
    const std::vector<lin::Fault>& faults, double ticks_per_second,
    const Options& o, Row& row) {
  auto timeout = std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::duration<double>(o.timeout_s));
  // The verdict and its time come from a plain check, which stops at the
  // first failing partition; the picture needs a verbose check, which keeps
  // searching every partition while time lasts, so it runs separately.
  auto start = std::chrono::steady_clock::now();
  std::clock_t cpu_start = std::clock();
  row.result = lin::CheckOperations(model, ops, timeout);
  row.cpu_seconds =
      static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  row.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  row.ops = ops.size();
  row.partitions = lin::CountPartitions(model, ops);
  if (o.html.empty() && !o.stats) return;

  lin::LinearizationInfo info;
  lin::CheckOperationsVerbose(model, ops, timeout, &info);
  for (const lin::PartitionInfo& p : info.partitions) {
    if (!o.stats) break;
    std::fprintf(stderr,
                 "  partition %-8s %5zu ops  %-7s  %9llu steps  %8llu memo  "
                 "%8llu states  %8.3f s\n",
                 p.key.empty() ? "(all)" : ("'" + p.key + "'").c_str(),
                 p.ops.size(), lin::ToString(p.result),
                 static_cast<unsigned long long>(p.steps),
                 static_cast<unsigned long long>(p.cache_entries),
                 static_cast<unsigned long long>(p.distinct_states), p.seconds);
  }
  if (o.html.empty()) return;
  row.partitions = info.partitions.size();
  lin::VisualizationData data =
      lin::MakeVisualization(model, ops, info, faults, ticks_per_second);
  data.title = o.title.empty() ? row.file : o.title;
  std::string error;
  if (!lin::WriteHtmlFile(o.html, data, &error)) {
    row.error = error;
  } else {
    std::fprintf(stderr, "lincheck: wrote %s\n", o.html.c_str());
  }
}

Row CheckFile(const std::string& path, const Options& o) {
  Row row;
  row.file = path;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    row.error = "cannot open " + path;
    return row;
  }
  std::stringstream buf;
  buf << in.rdbuf();
  std::string content = buf.str();
  lin::HistoryFormat format = o.format ? *o.format : lin::DetectFormat(content);
  row.format = lin::FormatName(format);
  std::istringstream text(content);
  try {
    if (format == lin::HistoryFormat::kJepsen) {
      lin::RegisterHistory h = lin::ReadJepsenHistory(text, path);
      Check(lin::RegisterModel{}, h.ops, {}, 0, o, row);
    } else {
      lin::KvHistory h = format == lin::HistoryFormat::kText
                             ? lin::ReadTextHistory(text, path)
                             : lin::ReadPorcupineKvHistory(text, path);
      Check(lin::KvModel{}, h.ops, h.faults, h.ticks_per_second, o, row);
    }
  } catch (const std::exception& e) {
    row.error = e.what();
  }
  return row;
}

const char* Verdict(const Row& r) {
  if (!r.error.empty()) return "error";
  switch (r.result) {
    case lin::CheckResult::kOk:
      return "linearizable";
    case lin::CheckResult::kIllegal:
      return "not linearizable";
    case lin::CheckResult::kUnknown:
      return "unknown (timed out)";
  }
  return "?";
}

}  // namespace

int main(int argc, char** argv) {
  Options o = ParseArgs(argc, argv);
  std::vector<Row> rows;
  size_t width = 5;
  for (const std::string& f : o.files) width = std::max(width, f.size());
  std::printf("%-*s  %-9s %6s %5s  %-19s %11s %11s\n", static_cast<int>(width),
              "file", "format", "ops", "parts", "verdict", "wall", "cpu");
  double total = 0, total_cpu = 0;
  int status = 0;
  for (const std::string& f : o.files) {
    Row r = CheckFile(f, o);
    if (!r.error.empty()) {
      std::fprintf(stderr, "lincheck: %s\n", r.error.c_str());
    }
    std::printf("%-*s  %-9s %6zu %5zu  %-19s %8.1f ms %8.1f ms\n",
                static_cast<int>(width), r.file.c_str(), r.format.c_str(),
                r.ops, r.partitions, Verdict(r), 1e3 * r.seconds,
                1e3 * r.cpu_seconds);
    std::fflush(stdout);
    total += r.seconds;
    total_cpu += r.cpu_seconds;
    int s = !r.error.empty()                         ? 2
            : r.result == lin::CheckResult::kUnknown ? 2
            : r.result == lin::CheckResult::kIllegal ? 1
                                                     : 0;
    status = std::max(status, s);
    rows.push_back(std::move(r));
  }
  if (rows.size() > 1) {
    std::printf("%-*s  %-9s %6s %5s  %-19s %8.1f ms %8.1f ms\n",
                static_cast<int>(width), "total", "", "", "", "", 1e3 * total,
                1e3 * total_cpu);
  }
  return status;
}
