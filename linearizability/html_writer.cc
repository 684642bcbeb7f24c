// Writing the picture (see visualization.h): the data as a JavaScript
// literal, a static summary, substituted into the page of html_page.cc.
//
// Data shape (compact, so that big histories give small files):
//   {title, result, tps (ticks per second, 0 = unitless), base (the time all
//    others are relative to, as a string), faults: [[start, end|null, label]],
//    states: [described states, interned],
//    parts: [{key, result, init (state index), fail (local op id or -1),
//             ops: [[client, call, ret|null if pending, description,
//                    history index, largest partial or -1]],
//             partials: [[op, state index, op, state index, ...]]}]}
#include <algorithm>
#include <fstream>
#include <limits>
#include <sstream>
#include <unordered_map>

#include "linearizability/html_page.h"
#include "linearizability/visualization.h"

namespace linearizability {

namespace {

// Length of the valid UTF-8 sequence at s[i], or 0 if it is not one.
size_t Utf8Length(std::string_view s, size_t i) {
  unsigned char c = s[i];
  size_t n = c < 0x80         ? 1
             : (c >> 5) == 6  ? 2
             : (c >> 4) == 14 ? 3
             : (c >> 3) == 30 ? 4
                              : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; k++) {
    if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return 0;
  }
  return n;
}

// A JavaScript string literal that is safe inside <script>: '<' is escaped
// (so no "</script>" can appear) and bytes that are not UTF-8 are shown as
// Latin-1 characters.
std::string JsString(std::string_view s) {
  std::string out = "\"";
  char buf[8];
  for (size_t i = 0; i < s.size();) {
    unsigned char c = s[i];
    size_t n = Utf8Length(s, i);
    if (n > 1) {
      out.append(s.substr(i, n));
      i += n;
      continue;
    }
    i++;
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c == '<' || c == 0x7f || n == 0) {
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  out += "\"";
  return out;
}

std::string HtmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

// The time all others are written relative to: 0 when every time fits a
// JavaScript number exactly as it is (the lab's nanoseconds since the start
// of the world), else the earliest time (e.g. nanoseconds since the epoch).
Time BaseTime(const VisualizationData& d) {
  Time lo = std::numeric_limits<Time>::max();
  Time hi = std::numeric_limits<Time>::min();
  auto see = [&](Time t) {
    lo = std::min(lo, t);
    hi = std::max(hi, t);
  };
  for (const VisPartition& p : d.partitions) {
    for (const VisOperation& op : p.ops) {
      see(op.call);
      if (!op.pending) see(op.ret);
    }
  }
  for (const Fault& f : d.faults) {
    see(f.start);
    if (f.end) see(*f.end);
  }
  if (lo > hi) return 0;  // nothing to draw
  constexpr Time kExact = Time{1} << 53;
  return lo >= 0 && hi < kExact ? 0 : lo;
}

std::string Data(const VisualizationData& d) {
  const Time base = BaseTime(d);
  std::ostringstream js;
  js << "{\"title\":" << JsString(d.title) << ",\"result\":\""
     << ToString(d.result) << "\",\"tps\":" << d.ticks_per_second
     << ",\"base\":\"" << base << "\",\"faults\":[";
  for (size_t i = 0; i < d.faults.size(); i++) {
    const Fault& f = d.faults[i];
    js << (i ? "," : "") << "[" << (f.start - base) << ","
       << (f.end ? std::to_string(*f.end - base) : "null") << ","
       << JsString(f.label) << "]";
  }
  js << "],";
  std::vector<const std::string*> states;
  std::unordered_map<std::string_view, size_t> state_index;
  auto intern = [&](const std::string& s) {
    auto [it, added] = state_index.emplace(s, states.size());
    if (added) states.push_back(&s);
    return it->second;
  };
  std::ostringstream parts;
  for (size_t pi = 0; pi < d.partitions.size(); pi++) {
    const VisPartition& p = d.partitions[pi];
    parts << (pi ? "," : "") << "{\"key\":" << JsString(p.key)
          << ",\"result\":\"" << ToString(p.result)
          << "\",\"init\":" << intern(p.initial_state)
          << ",\"fail\":" << p.failing_op << ",\"ops\":[";
    for (size_t i = 0; i < p.ops.size(); i++) {
      const VisOperation& op = p.ops[i];
      parts << (i ? "," : "") << "[" << op.client_id << "," << (op.call - base)
            << ","
            << (op.pending ? std::string("null")
                           : std::to_string(op.ret - base))
            << "," << JsString(op.description) << "," << op.history_index << ","
            << op.largest << "]";
    }
    parts << "],\"partials\":[";
    for (size_t k = 0; k < p.partials.size(); k++) {
      parts << (k ? "," : "") << "[";
      for (size_t s = 0; s < p.partials[k].size(); s++) {
        parts << (s ? "," : "") << p.partials[k][s].op << ","
              << intern(p.partials[k][s].state);
      }
      parts << "]";
    }
    parts << "]}";
  }
  js << "\"states\":[";
  for (size_t i = 0; i < states.size(); i++) {
    js << (i ? "," : "") << JsString(*states[i]);
  }
  js << "],\"parts\":[" << parts.str() << "]}";
  return js.str();
}

// What a reader without JavaScript (or grep) sees.
std::string Summary(const VisualizationData& d) {
  size_t nops = 0;
  for (const VisPartition& p : d.partitions) nops += p.ops.size();
  std::ostringstream s;
  s << "<p id=\"summary\" data-partitions=\"" << d.partitions.size()
    << "\" data-result=\"" << ToString(d.result)
    << "\">Verdict: " << ToString(d.result) << ". " << nops << " operations in "
    << d.partitions.size() << " partition"
    << (d.partitions.size() == 1 ? "" : "s") << ".</p>\n<ul id=\"failures\">";
  for (const VisPartition& p : d.partitions) {
    if (p.result != CheckResult::kIllegal) continue;
    s << "<li>partition "
      << HtmlEscape(p.key.empty() ? "(all)" : "'" + p.key + "'")
      << ": longest linearizable prefix "
      << (p.partials.empty() ? 0 : p.partials[0].size()) << " of "
      << p.ops.size() << " operations";
    if (p.failing_op >= 0) {
      s << "; cannot linearize <span class=\"failing\">"
        << HtmlEscape(p.ops[p.failing_op].description) << "</span>";
    }
    s << "</li>";
  }
  s << "</ul>\n<ul id=\"fault-list\">";
  for (const Fault& f : d.faults) {
    s << "<li>" << HtmlEscape(f.label) << "</li>";
  }
  s << "</ul>";
  return s.str();
}

// Substitutes every @@NAME@@ of the page template in one pass, so that
// marker-like text inside the substituted values is left alone.
std::string Fill(
    std::string_view page,
    const std::unordered_map<std::string_view, std::string>& values) {
  std::string out;
  size_t i = 0;
  while (true) {
    size_t at = page.find("@@", i);
    size_t end = at == std::string_view::npos ? at : page.find("@@", at + 2);
    if (end == std::string_view::npos) break;
    auto it = values.find(page.substr(at + 2, end - at - 2));
    if (it == values.end()) {
      out.append(page.substr(i, at + 2 - i));
      i = at + 2;
      continue;
    }
    out.append(page.substr(i, at - i));
    out.append(it->second);
    i = end + 2;
  }
  out.append(page.substr(i));
  return out;
}

}  // namespace

void WriteHtml(std::ostream& out, const VisualizationData& data) {
  out << Fill(html_internal::kPage, {{"TITLE", HtmlEscape(data.title)},
                                     {"SUMMARY", Summary(data)},
                                     {"DATA", Data(data)}});
}

bool WriteHtmlFile(const std::string& path, const VisualizationData& data,
                   std::string* error) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (out) WriteHtml(out, data);
  if (out) out.flush();
  if (!out) {
    if (error) *error = "cannot write " + path;
    return false;
  }
  return true;
}

}  // namespace linearizability
