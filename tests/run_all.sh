#!/bin/sh
# Runs every test suite and ends with one summary line "total: N passed, N failed".
#   - each cmocka binary in build/tests/ (one count per test case)
#   - each fuzz target's seed corpus replayed under ASan+UBSan (one count per target)
#   - a short libFuzzer run of each target (one count per target)
#   - the SQL-level tests (tests/sql, through Debian's /usr/bin/python3 sqlite3 module)
#   - each fault-injection harness in build/faults/, sampled (one count per run; make faults
#     runs the full sweeps)
#   - the Node tests (tests/node, in better-sqlite3's newer SQLite; one count per check)
#   - the packaging tests (tests/pkg: exports, install, C/Python/Node examples)
# A suite that crashes counts as one failure. Exit status 1 when anything failed.
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
passed=0
failed=0
log=$BUILD/test-logs
mkdir -p "$log"

add() { passed=$((passed + $1)); failed=$((failed + $2)); }

# tap_suite NAME COMMAND...: runs a suite that prints one "ok - " or "not ok - " line per
# check, and counts them; a suite that fails without such a line, or prints none, counts one
# failure.
tap_suite() {
  name=$1
  shift
  out="$log/$(echo "$name" | tr / _).log"
  "$@" > "$out" 2>&1
  rc=$?
  p=$(grep -c '^ok - ' "$out")
  f=$(grep -c '^not ok - ' "$out")
  if { [ "$rc" -ne 0 ] || [ "$p" -eq 0 ]; } && [ "$f" -eq 0 ]; then f=1; fi
  add "$p" "$f"
  if [ "$f" -ne 0 ]; then echo "FAIL $name"; grep -v '^ok - ' "$out" | head -30
  else echo "ok   $name ($p)"; fi
}

for t in "$BUILD"/tests/test_*; do
  [ -x "$t" ] || continue
  name=$(basename "$t")
  CMOCKA_MESSAGE_OUTPUT=stdout "$t" > "$log/$name.log" 2>&1
  rc=$?
  p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log/$name.log" | tail -1)
  f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log/$name.log" | tail -1)
  p=${p:-0}; f=${f:-0}
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  add "$p" "$f"
  if [ "$f" -ne 0 ]; then echo "FAIL $name"; grep -E 'ERROR|FAILED|LINE|error' "$log/$name.log" | head -20
  else echo "ok   $name ($p)"; fi
done

for h in "$BUILD"/faults/fault_*; do
  [ -x "$h" ] || continue
  name=$(basename "$h")
  "$h" > "$log/$name.log" 2>&1
  rc=$?
  line=$(grep -E '^faults: [0-9]+ passed, [0-9]+ failed' "$log/$name.log" | tail -1)
  p=$(echo "$line" | sed -n 's/^faults: \([0-9]*\) passed.*/\1/p')
  f=$(echo "$line" | sed -n 's/.*passed, \([0-9]*\) failed.*/\1/p')
  p=${p:-0}; f=${f:-0}
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  add "$p" "$f"
  if [ "$f" -ne 0 ]; then echo "FAIL $name ($p passed, $f failed; $log/$name.log)"
    sed -n '/distinct problems/,$p' "$log/$name.log" | cut -c1-300 | head -25
  else echo "ok   $name ($p)"; fi
done

for r in "$BUILD"/replay/fuzz_*; do
  [ -x "$r" ] || continue
  name=$(basename "$r")
  if "$r" "tests/fuzz/corpus/$name" > "$log/$name.log" 2>&1; then
    add 1 0; echo "ok   $name corpus ($(tail -1 "$log/$name.log"))"
  else
    add 0 1; echo "FAIL $name corpus"; tail -20 "$log/$name.log"
  fi
done

# A short libFuzzer run of each target (FUZZ_TEST_SECONDS each; make fuzz runs longer),
# FUZZ_JOBS (default 2) at a time: the runs last a fixed time, so running them side by
# side divides the wall time of this step.
running=0
for z in "$BUILD"/fuzz/fuzz_*; do
  [ -x "$z" ] || continue
  name=$(basename "$z")
  work="$BUILD/corpus/$name"
  mkdir -p "$work"
  rm -f "$log/$name.fuzz.rc"
  ( "$z" -max_total_time="${FUZZ_TEST_SECONDS:-4}" -max_len=65536 -print_final_stats=0 \
      "$work" "tests/fuzz/corpus/$name" > "$log/$name.fuzz.log" 2>&1
    echo $? > "$log/$name.fuzz.rc" ) &
  running=$((running + 1))
  if [ "$running" -ge "${FUZZ_JOBS:-2}" ]; then wait; running=0; fi
done
wait
for z in "$BUILD"/fuzz/fuzz_*; do
  [ -x "$z" ] || continue
  name=$(basename "$z")
  if [ "$(cat "$log/$name.fuzz.rc" 2>/dev/null)" = 0 ]; then
    add 1 0; echo "ok   $name fuzzed ${FUZZ_TEST_SECONDS:-4}s"
  else
    add 0 1; echo "FAIL $name fuzzing"; grep -A30 'ERROR\|SUMMARY\|deadly' "$log/$name.fuzz.log" | head -40
  fi
done

if [ -n "${SANITIZED:-}" ]; then
  # the instrumented extension needs the ASan runtime loaded first
  LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)" \
  ASAN_OPTIONS=detect_leaks=0 SQUEEZE_EXT="$BUILD/squeeze" \
    /usr/bin/python3 tests/sql/run.py > "$log/sql.log" 2>&1
else
  SQUEEZE_EXT="$BUILD/squeeze" /usr/bin/python3 tests/sql/run.py > "$log/sql.log" 2>&1
fi
sql_rc=$?
line=$(grep -E '^sql: [0-9]+ passed, [0-9]+ failed' "$log/sql.log" | tail -1)
p=$(echo "$line" | sed -n 's/^sql: \([0-9]*\) passed.*/\1/p')
f=$(echo "$line" | sed -n 's/.*passed, \([0-9]*\) failed.*/\1/p')
p=${p:-0}; f=${f:-0}
if [ "$sql_rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
add "$p" "$f"
if [ "$f" -ne 0 ]; then echo "FAIL sql"; grep -vE '^(ok|\.)' "$log/sql.log" | tail -40
else echo "ok   sql ($p)"; fi

# Node (tests/node/test_*.js): the extension in better-sqlite3's own SQLite, newer than
# Debian's, for what only a newer SQLite does (xIntegrity). One count per "ok - " or
# "not ok - " line, as for tests/pkg below; not under the sanitizers (node cannot load the
# instrumented extension without the ASan runtime preloaded).
if [ -z "${SANITIZED:-}" ]; then
  for t in tests/node/test_*.js; do
    tap_suite "node/$(basename "$t" .js)" env SQUEEZE_EXT="$BUILD/squeeze" node "$t"
  done
fi

# Packaging (tests/pkg/test_*.sh): exported symbols, make install/uninstall, the C, Python
# and Node examples of README.md. One count per "ok - " or "not ok - " line; a script that
# fails without such a line, or prints none, counts one failure. Not under the sanitizers:
# they check the build's public face, which make asan does not build.
if [ -z "${SANITIZED:-}" ]; then
  for t in tests/pkg/test_*.sh; do
    tap_suite "pkg/$(basename "$t" .sh)" env BUILD="$BUILD" sh "$t"
  done
fi

echo "total: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
