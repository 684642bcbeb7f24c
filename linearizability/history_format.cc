// History format names and detection (see history_format.h).
#include "linearizability/history_format.h"

namespace linearizability {

const char* FormatName(HistoryFormat f) {
  switch (f) {
    case HistoryFormat::kText:
      return "text";
    case HistoryFormat::kPorcupineKv:
      return "porcupine";
    case HistoryFormat::kJepsen:
      return "jepsen";
  }
  return "?";
}

std::optional<HistoryFormat> FormatFromName(std::string_view name) {
  for (HistoryFormat f : {HistoryFormat::kText, HistoryFormat::kPorcupineKv,
                          HistoryFormat::kJepsen}) {
    if (name == FormatName(f)) return f;
  }
  return std::nullopt;
}

HistoryFormat DetectFormat(std::string_view content) {
  if (content.find("jepsen.util - ") != std::string_view::npos) {
    return HistoryFormat::kJepsen;
  }
  size_t i = 0;
  while (i < content.size()) {
    size_t eol = content.find('\n', i);
    if (eol == std::string_view::npos) eol = content.size();
    std::string_view line = content.substr(i, eol - i);
    size_t first = line.find_first_not_of(" \t\r");
    if (first != std::string_view::npos && line[first] != '#' &&
        line[first] != ';') {
      return line[first] == '{' ? HistoryFormat::kPorcupineKv
                                : HistoryFormat::kText;
    }
    i = eol + 1;
  }
  return HistoryFormat::kText;
}

const char* FormatExample(HistoryFormat f) {
  switch (f) {
    case HistoryFormat::kText:
      return "'<client> <call> <return> <op> <key> <value> <output>', e.g. "
             "'0 100 130 put k v -'";
    case HistoryFormat::kPorcupineKv:
      return "'{:process 0, :type :invoke, :f :get, :key \"k\", :value nil}'";
    case HistoryFormat::kJepsen:
      return "'INFO  jepsen.util - 3 :invoke :cas [3 0]'";
  }
  return "?";
}

std::string BinaryContentError(std::string_view content,
                               const std::string& source) {
  size_t nul = content.find('\0');
  if (nul == std::string_view::npos) return "";
  size_t line = 1;
  for (size_t i = 0; i < nul; i++) line += content[i] == '\n';
  return source + ":" + std::to_string(line) +
         ": a NUL byte: this is binary data, expected a text history file";
}

}  // namespace linearizability
