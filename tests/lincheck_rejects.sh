#!/bin/sh
# lincheck on input that is not a history it can check: each CASE builds
# its input, runs lincheck and requires exit status 2 and a message that
# says what was expected (AllowEmpty is the control: the flag accepts an
# empty history, exit 0). A ctest entry per case (tests/CMakeLists.txt).
#
#   lincheck_rejects.sh CASE LINCHECK TESTDATA_DIR
set -u
case_name=$1
lincheck=$2
data=$3
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
f=$dir/input
want_status=2
args=

random_text() {  # printable noise without a single history line in it
  od -An -tx1 -N 4096 /dev/urandom | tr -d '\n' | fold -w 70
}

case $case_name in
  EmptyFile)
    : > "$f"
    want='input: no operations to check: the file is empty; expected text lines like'
    ;;
  CommentOnly)
    printf '# a comment\n\n   # another\n' > "$f"
    want='no operations to check: the file has only comments and blank lines'
    ;;
  DevNull)
    f=/dev/null
    want='/dev/null: no operations to check: the file is empty'
    ;;
  Directory)
    f=$dir
    want="$dir: is a directory; expected a history file"
    ;;
  RandomBytesAsJepsen)
    head -c 65536 /dev/urandom > "$f"
    args='--format jepsen'
    want='a NUL byte: this is binary data, expected a text history file'
    ;;
  RandomBytesWithJepsenMarker)
    { head -c 30000 /dev/urandom; printf 'jepsen.util - '
      head -c 30000 /dev/urandom; } > "$f"
    want='a NUL byte: this is binary data'
    ;;
  RandomTextAsJepsen)
    random_text > "$f"
    args='--format jepsen'
    want='non-blank lines is a jepsen operation; expected jepsen lines like'
    ;;
  RandomTextWithJepsenMarker)
    { random_text; printf 'INFO  jepsen.util - '; random_text; } > "$f"
    want='non-blank lines is a jepsen operation; expected jepsen lines like'
    ;;
  TextHistoryAsJepsen)
    printf 'unit ms\n0 100 130 put k v -\n1 110 140 get k - v\n' > "$f"
    args='--format jepsen'
    want='none of its 3 non-blank lines is a jepsen operation'
    ;;
  PorcupineHistoryAsJepsen)
    f=$data/kv/c01-ok.txt
    args='--format jepsen'
    want='non-blank lines is a jepsen operation'
    ;;
  PorcupineGetAnsweredByPut)
    printf '%s\n' \
      '{:process 0, :type :invoke, :f :get, :key "1", :value nil}' \
      '{:process 0, :type :ok, :f :put, :key "1", :value "x"}' > "$f"
    want='input:2: :ok :put does not match the :get pending for process 0'
    ;;
  PorcupineReturnOnAnotherKey)
    printf '%s\n' \
      '{:process 0, :type :invoke, :f :get, :key "1", :value nil}' \
      '{:process 0, :type :ok, :f :get, :key "2", :value "x"}' > "$f"
    want='input:2: :ok on another :key than the :get of "1" pending'
    ;;
  AllowEmpty)
    printf '# nothing happened\n' > "$f"
    args='--allow-empty'
    want_status=0
    want='linearizable'
    ;;
  MemoryBudget)
    # 200000 overlapping operations on one key: the memo holds a 25 KB set
    # per entry, so without the budget the search grows by gigabytes (and
    # ulimit turns that into bad_alloc instead of swapping).
    awk 'BEGIN { srand(7); print "unit none"
      for (i = 0; i < 200000; i++) {
        c = i % 8; t = 10 * i; r = t + 1 + int(rand() * 80)
        if (i % 3) print c, t, r, "put k v" i, "-"
        else print c, t, r, "get k - ?" }}' > "$f"
    ulimit -v 4194304 2>/dev/null
    args='--timeout 0 --memory-limit 32M'
    want="input: the search of partition 'k' (200000 ops) reached the memory budget of 32.0 MiB"
    ;;
  *)
    echo "unknown case $case_name" >&2
    exit 1
    ;;
esac

# shellcheck disable=SC2086  # args is a list of words
out=$("$lincheck" $args "$f" 2>&1)
status=$?
echo "$out"
if [ "$status" -ne "$want_status" ]; then
  echo "FAIL: exit status $status, expected $want_status" >&2
  exit 1
fi
if ! printf '%s\n' "$out" | grep -qF -- "$want"; then
  echo "FAIL: no message containing: $want" >&2
  exit 1
fi
if [ "$case_name" = MemoryBudget ] &&
   ! printf '%s\n' "$out" | grep -qF 'unknown (memory budget)'; then
  echo "FAIL: the verdict is not 'unknown (memory budget)'" >&2
  exit 1
fi
echo "ok: $case_name"
