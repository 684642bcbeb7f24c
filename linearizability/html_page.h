// The HTML page of the picture, with its CSS and JavaScript (internal to
// the HTML writer; see html_writer.cc).
#ifndef RAFTLAB_LINEARIZABILITY_HTML_PAGE_H_
#define RAFTLAB_LINEARIZABILITY_HTML_PAGE_H_

namespace linearizability {
namespace html_internal {

// The page, with three placeholders that the writer replaces:
// @@TITLE@@ (HTML-escaped text), @@SUMMARY@@ (an HTML fragment readable
// without JavaScript) and @@DATA@@ (a JavaScript object literal, see
// html_writer.cc for its shape).
extern const char kPage[];

}  // namespace html_internal
}  // namespace linearizability

#endif  // RAFTLAB_LINEARIZABILITY_HTML_PAGE_H_
