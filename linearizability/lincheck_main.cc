// lincheck: checks history files for linearizability from the command line,
// prints the verdict and the time taken per file, and can write the HTML
// picture. Exit status: 0 all linearizable, 1 some not, 2 unknown or error.
//
//   lincheck [--format auto|text|porcupine|jepsen] [--timeout S]
//            [--memory-limit BYTES] [--allow-empty] [--html OUT.html]
//            [--title T] [--stats] FILE...
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "linearizability/checker.h"
#include "linearizability/history_format.h"
#include "linearizability/jepsen_format.h"
#include "linearizability/kv_model.h"
#include "linearizability/lex.h"
#include "linearizability/memory_budget.h"
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
    "  --memory-limit BYTES\n"
    "                give up on a partition whose search would hold more\n"
    "                (verdict unknown); K, M or G suffix; 0 means no limit;\n"
    "                default a quarter of physical memory\n"
    "  --allow-empty a history with no operations is linearizable (else it\n"
    "                is an error: the file is probably not a history)\n"
    "  --html OUT    write the picture of the (single) FILE to OUT\n"
    "  --title T     the picture's title (default: the file name)\n"
    "  --stats       print each partition's verdict and search cost (from a\n"
    "                verbose check, which searches every partition)\n"
    "Exit status: 0 all linearizable, 1 some not, 2 unknown or error.\n";

struct Options {
  std::optional<lin::HistoryFormat> format;  // none: detect
  double timeout_s = 10;
  size_t memory_limit = lin::DefaultMemoryLimit();
  bool allow_empty = false;
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
  double seconds = 0;                             // wall time of the check
  double cpu_seconds = 0;                         // CPU time of the check
  lin::StopReason stop = lin::StopReason::kNone;  // why kUnknown
  std::string error;
};

[[noreturn]] void UsageError(const std::string& message) {
  std::fprintf(stderr, "lincheck: %s\n%s", message.c_str(), kUsage);
  std::exit(2);
}

// "1048576", "64K", "512M", "2G" (powers of 1024); nullopt if malformed.
std::optional<size_t> ParseBytes(const std::string& text) {
  char* end = nullptr;
  errno = 0;
  const unsigned long long n = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || !std::isdigit(static_cast<unsigned char>(text[0])) ||
      errno != 0) {
    return std::nullopt;
  }
  const std::string suffix = end;
  int shift = suffix == ""    ? 0
              : suffix == "K" ? 10
              : suffix == "M" ? 20
              : suffix == "G" ? 30
                              : -1;
  if (shift < 0 || (shift > 0 && n > (SIZE_MAX >> shift))) return std::nullopt;
  return static_cast<size_t>(n) << shift;
}

std::string Mib(size_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB",
                static_cast<double>(bytes) / (1 << 20));
  return buf;
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
    } else if (a == "--memory-limit") {
      std::optional<size_t> bytes = ParseBytes(value());
      if (!bytes) {
        UsageError("--memory-limit needs a number of bytes, e.g. 512M or 2G");
      }
      o.memory_limit = *bytes;
    } else if (a == "--allow-empty") {
      o.allow_empty = true;
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
  lin::CheckLimits limits;
  limits.timeout = std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::duration<double>(o.timeout_s));
  limits.memory_bytes = o.memory_limit;
  // The verdict and its time come from a plain check, which stops at the
  // first failing partition; the picture needs a verbose check, which keeps
  // searching every partition while time lasts, so it runs separately.
  lin::LinearizationInfo plain;
  auto start = std::chrono::steady_clock::now();
  std::clock_t cpu_start = std::clock();
  row.result = lin::CheckOperations(model, ops, limits, &plain);
  row.cpu_seconds =
      static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  row.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  row.ops = ops.size();
  row.partitions = plain.partitions.size();
  row.stop = plain.stop;
  for (const lin::PartitionInfo& p : plain.partitions) {
    if (p.stop != lin::StopReason::kMemoryLimit) continue;
    std::fprintf(stderr,
                 "lincheck: %s: the search of partition %s (%zu ops) reached "
                 "the memory budget of %s after %llu memo entries; its "
                 "verdict is unknown (--memory-limit sets the budget)\n",
                 row.file.c_str(),
                 p.key.empty() ? "(all)" : ("'" + p.key + "'").c_str(),
                 p.ops.size(), Mib(o.memory_limit).c_str(),
                 static_cast<unsigned long long>(p.cache_entries));
  }
  if (o.html.empty() && !o.stats) return;

  lin::LinearizationInfo info;
  lin::CheckOperationsVerbose(model, ops, limits, &info);
  for (const lin::PartitionInfo& p : info.partitions) {
    if (!o.stats) break;
    std::fprintf(stderr,
                 "  partition %-8s %5zu ops  %-7s  %9llu steps  %8llu memo  "
                 "%8llu states  %8.3f s%s%s\n",
                 p.key.empty() ? "(all)" : ("'" + p.key + "'").c_str(),
                 p.ops.size(), lin::ToString(p.result),
                 static_cast<unsigned long long>(p.steps),
                 static_cast<unsigned long long>(p.cache_entries),
                 static_cast<unsigned long long>(p.distinct_states), p.seconds,
                 p.stop == lin::StopReason::kNone ? "" : "  ",
                 p.stop == lin::StopReason::kNone ? "" : lin::ToString(p.stop));
  }
  if (o.stats) {
    std::fprintf(stderr, "  memory: peak %s of the search's budget of %s\n",
                 Mib(info.memory_peak).c_str(),
                 o.memory_limit ? Mib(o.memory_limit).c_str() : "unlimited");
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

// Why a history with no operations is not checked, saying what the file
// has and what was expected.
std::string NoOperations(const std::string& path, std::string_view content,
                         lin::HistoryFormat format) {
  // Comments: '#' (text) and ';' (porcupine); Jepsen logs have none.
  const bool comments = format != lin::HistoryFormat::kJepsen;
  size_t lines = 0, blank = 0, comment = 0;
  for (size_t i = 0; i < content.size();) {
    size_t eol = std::min(content.find('\n', i), content.size());
    std::string_view line = content.substr(i, eol - i);
    size_t first = line.find_first_not_of(" \t\r");
    lines++;
    blank += first == std::string_view::npos;
    comment += comments && first != std::string_view::npos &&
               (line[first] == '#' || line[first] == ';');
    i = eol + 1;
  }
  const size_t other = lines - blank - comment;
  const std::string name = lin::FormatName(format);
  std::string what;
  if (content.empty()) {
    what = "the file is empty";
  } else if (other == 0) {
    what = comment == 0 ? "the file has only blank lines"
                        : "the file has only comments and blank lines";
  } else if (other == 1) {
    what = "its one non-blank line is not a " + name + " operation";
  } else {
    what = "none of its " + std::to_string(other) + " non-blank lines is a " +
           name + " operation";
  }
  return path + ": no operations to check: " + what + "; expected " +
         lin::FormatName(format) + " lines like " + lin::FormatExample(format) +
         " (--allow-empty accepts a history with no operations)";
}

Row CheckFile(const std::string& path, const Options& o) {
  Row row;
  row.file = path;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    row.error = path + ": is a directory; expected a history file";
    return row;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    row.error = "cannot open " + path + ": " + std::strerror(errno);
    return row;
  }
  std::stringstream buf;
  buf << in.rdbuf();
  if (in.bad()) {
    row.error = "cannot read " + path;
    return row;
  }
  std::string content = buf.str();
  lin::HistoryFormat format = o.format ? *o.format : lin::DetectFormat(content);
  row.format = lin::FormatName(format);
  row.error = lin::BinaryContentError(content, path);
  if (!row.error.empty()) return row;
  std::istringstream text(content);
  try {
    if (format == lin::HistoryFormat::kJepsen) {
      lin::RegisterHistory h = lin::ReadJepsenHistory(text, path);
      if (h.ops.empty() && !o.allow_empty) {
        row.error = NoOperations(path, content, format);
        return row;
      }
      Check(lin::RegisterModel{}, h.ops, {}, 0, o, row);
    } else {
      lin::KvHistory h = format == lin::HistoryFormat::kText
                             ? lin::ReadTextHistory(text, path)
                             : lin::ReadPorcupineKvHistory(text, path);
      if (h.ops.empty() && !o.allow_empty) {
        row.error = NoOperations(path, content, format);
        return row;
      }
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
      return r.stop == lin::StopReason::kMemoryLimit ? "unknown (memory budget)"
                                                     : "unknown (timed out)";
  }
  return "?";
}

}  // namespace

int main(int argc, char** argv) {
  Options o = ParseArgs(argc, argv);
  std::vector<Row> rows;
  size_t width = 5;
  for (const std::string& f : o.files) width = std::max(width, f.size());
  std::printf("%-*s  %-9s %6s %5s  %-23s %11s %11s\n", static_cast<int>(width),
              "file", "format", "ops", "parts", "verdict", "wall", "cpu");
  double total = 0, total_cpu = 0;
  int status = 0;
  for (const std::string& f : o.files) {
    Row r = CheckFile(f, o);
    if (!r.error.empty()) {
      std::fprintf(stderr, "lincheck: %s\n", r.error.c_str());
    }
    std::printf("%-*s  %-9s %6zu %5zu  %-23s %8.1f ms %8.1f ms\n",
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
    std::printf("%-*s  %-9s %6s %5s  %-23s %8.1f ms %8.1f ms\n",
                static_cast<int>(width), "total", "", "", "", "", 1e3 * total,
                1e3 * total_cpu);
  }
  return status;
}
