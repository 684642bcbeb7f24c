// Which history file format a file is in, by name or by its content.
#ifndef RAFTLAB_LINEARIZABILITY_HISTORY_FORMAT_H_
#define RAFTLAB_LINEARIZABILITY_HISTORY_FORMAT_H_

#include <optional>
#include <string>
#include <string_view>

namespace linearizability {

enum class HistoryFormat {
  kText,         // raftlab's text format (text_format.h)
  kPorcupineKv,  // porcupine's EDN-like KV events (porcupine_format.h)
  kJepsen,       // Jepsen etcd logs (jepsen_format.h)
};

// "text", "porcupine" or "jepsen".
const char* FormatName(HistoryFormat f);
std::optional<HistoryFormat> FormatFromName(std::string_view name);

// Guesses from the content: a first meaningful line starting with '{' is
// porcupine; a file with "jepsen.util - " lines is Jepsen; anything else is
// raftlab text.
HistoryFormat DetectFormat(std::string_view content);

// What an operation line of format f looks like, for error messages that
// say what was expected.
const char* FormatExample(HistoryFormat f);

// Why `content` cannot be a history file in any format ("" if it may be):
// a NUL byte means binary data, which every reader would otherwise skip or
// misread line by line. The message is "<source>:<line>: ...".
std::string BinaryContentError(std::string_view content,
                               const std::string& source);

}  // namespace linearizability

#endif  // RAFTLAB_LINEARIZABILITY_HISTORY_FORMAT_H_
