#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Acceptance test of the example programs (spec section 19).
#
# Usage: tests/run-examples.sh <stage-dir>
#
#   <stage-dir> is an install tree (`make stage` builds build/stage): lib/
#   (libvaccel.so, the plugins, libmytestlib.so), bin/ (the examples) and
#   share/vaccel/ (the example data).
#
# The commands and their expected outputs are not copied here: they are parsed
# from the two spec data files, so the test follows the spec.
#
#   $SHARED/spec/data/example-outputs-level1.txt
#       `+ <command>` / stdout lines / `[exit N]` blocks at the default log
#       level;
#   $SHARED/spec/data/example-traces-level4.txt
#       the same commands with VACCEL_LOG_LEVEL=4, timestamps and colours
#       stripped from the log lines.
#
# In both files the blocks run with VACCEL_PLUGINS=libvaccel-noop.so, up to the
# second `+ mbench 1 example.jpg` (from there: libvaccel-mbench.so), up to the
# second `+ exec libmytestlib.so 1` (from there: libvaccel-exec.so with
# VACCEL_EXEC_DLCLOSE_ENABLED=1). Every command runs in a scratch directory
# holding symlinks named like the spec's bare file names (example.jpg,
# cnn_trace.pt, lstm2, lstm2.tflite, imagenet.txt, libmytestlib.so), with a
# clean environment (only PATH, HOME, LANG=C and the VACCEL_* variables above).
#
# Checks (one `ok - ...` / `FAIL - ...` line each, then `N passed, M failed`):
#
#   level1:   stdout identical, exit status as expected, stderr holds exactly
#             the expected stderr lines (only the STB warning of the inference
#             examples is allowed: the example files show stderr ahead of the
#             buffered stdout, so such lines are taken out of the expected
#             block and compared with the captured stderr instead);
#   level4:   log lines reduced to `<tag> message` (the timestamp format and the
#             colour of each tag are checked on the way: a line that does not
#             match the section 7.1 format exactly is left as it is and shows
#             up in the diff), then compared line by line with the expected
#             trace after normalising in both: the uid and the random
#             top-level rundir name (/run/user/<uid>/vaccel/<top>), the
#             version string (upstream 0.7.1-93-ebc23b1f vs ours, from
#             lib/pkgconfig/vaccel.pc), pointer values (0x...) and random
#             `_XXXXXX` file-name suffixes under the rundir. stderr as for
#             level1;
#   rundir:   every run (level1, level4, valgrind) must leave no new entry in
#             /run/user/<uid>/vaccel/ (listing before vs after; for level4 runs
#             also the logged top-level rundir itself must be gone), and the
#             whole suite must leave the listing as it found it. [Entries that
#             other processes create concurrently are indistinguishable from
#             ours: a new entry counts as left behind when it is still there
#             3 s after the run; a long-running vAccel program of the same user
#             running meanwhile can still cause a false failure.]
#   valgrind: every level1 command again under valgrind (full leak check, every
#             leak kind an error, error exit code 1): exit status as expected
#             and `ERROR SUMMARY: 0 errors`. Suppressions: tests/valgrind.supp,
#             when present (its entries need the deep stacks that
#             --num-callers=40 records). Skipped when VALGRIND=0 or valgrind
#             is missing.
#   spec 21.1 (classification without a text buffer must not crash): no
#             example calls vaccel_image_classification without a text buffer
#             (classify always passes a 512-byte one; classify_generic always
#             passes both output arguments), so this is reported as skipped.
#
# Environment: SHARED (the directory holding spec/; default ../shared beside
# the repository), VALGRIND=0 to skip the valgrind runs, TIMEOUT (seconds per
# run, default 120), VG_TIMEOUT (per valgrind run, default 600), KEEP_WORK=1
# to keep the scratch directory with every output for inspection.

set -euo pipefail

# shellcheck source=lib/spec-blocks.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/spec-blocks.sh"
# shellcheck source=lib/report.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/report.sh"

export LC_ALL=C

if [ $# -ne 1 ] || [ ! -d "$1" ]; then
	echo "Usage: $0 <stage-dir>" >&2
	exit 2
fi

STAGE="$(cd "$1" && pwd)"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SHARED="${SHARED:-$ROOT/../shared}"
if [ ! -d "$SHARED/spec/data" ]; then
	echo "error: spec data not found under SHARED=$SHARED (set SHARED to the directory holding spec/)" >&2
	exit 2
fi
SHARED="$(cd "$SHARED" && pwd)"
LEVEL1_FILE="$SHARED/spec/data/example-outputs-level1.txt"
LEVEL4_FILE="$SHARED/spec/data/example-traces-level4.txt"
SUPP="$ROOT/tests/valgrind.supp"
TIMEOUT="${TIMEOUT:-120}"
VG_TIMEOUT="${VG_TIMEOUT:-600}"

# Version strings: the one in the spec traces (upstream development build) and
# the one this build reports.
UPSTREAM_VERSION="0.7.1-93-ebc23b1f"
OUR_VERSION="$(sed -n 's/^Version: *//p' "$STAGE/lib/pkgconfig/vaccel.pc" 2>/dev/null || true)"
OUR_VERSION="${OUR_VERSION:-0.8.0}"

# Lines a program may print to stderr (the inference examples built without
# stb). Everything else on stderr is a failure.
STB_WARNING="Warning: STB not found; will generate random input"

ESC=$'\033'
UID_NUM="$(id -u)"
RUNBASE="/run/user/$UID_NUM/vaccel"

for f in "$LEVEL1_FILE" "$LEVEL4_FILE"; do
	if [ ! -f "$f" ]; then
		echo "error: missing $f" >&2
		exit 2
	fi
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/vaccel-examples.XXXXXX")"
cleanup() {
	if [ "${KEEP_WORK:-0}" = "1" ]; then
		echo "# outputs kept in $WORK" >&2
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT

SCRATCH="$WORK/run"
mkdir -p "$SCRATCH"

# --- data files, under the spec's bare names --------------------------------

DATA="$STAGE/share/vaccel"
declare -A LINKS=(
	[example.jpg]="$DATA/images/example.jpg"
	[cnn_trace.pt]="$DATA/models/torch/cnn_trace.pt"
	[lstm2]="$DATA/models/tf/lstm2"
	[lstm2.tflite]="$DATA/models/tf/lstm2.tflite"
	[imagenet.txt]="$DATA/labels/imagenet.txt"
	[libmytestlib.so]="$STAGE/lib/libmytestlib.so"
)
for name in "${!LINKS[@]}"; do
	target="${LINKS[$name]}"
	if [ ! -e "$target" ]; then
		echo "error: $target is missing from the stage directory" >&2
		exit 2
	fi
	ln -s "$target" "$SCRATCH/$name"
done

# CI creates /run/user/<uid> beforehand (spec 19.6); do the same if we can.
mkdir -p "/run/user/$UID_NUM" 2>/dev/null || true

# --- reporting ---------------------------------------------------------------

# --- parsing the spec files --------------------------------------------------

# parse_blocks (tests/lib/spec-blocks.sh) plus NNN.env: the plugin environment, one VAR=value
# a line.
parse_blocks_with_env() {
	parse_blocks "$1" "$2"
	local f
	for f in "$2"/*.plugin; do
		plugin_env "$(cat "$f")" > "${f%.plugin}.env"
	done
}

parse_blocks_with_env "$LEVEL1_FILE" "$WORK/l1"
parse_blocks_with_env "$LEVEL4_FILE" "$WORK/l4"

# The two files must describe the same runs.
(cd "$WORK/l1" && cat ./*.cmd) > "$WORK/l1.cmds"
(cd "$WORK/l4" && cat ./*.cmd) > "$WORK/l4.cmds"
if diff -u --label level1 --label level4 "$WORK/l1.cmds" "$WORK/l4.cmds" > "$WORK/cmds.diff"; then
	pass "spec files parsed: $(wc -l < "$WORK/l1.cmds") commands, the same in both files"
else
	fail "spec files list different commands" "$WORK/cmds.diff"
fi

# split_expected <exp> <out stdout> <out stderr>: the allowed stderr lines of
# an expected block go to stderr, the rest to stdout (order kept).
split_expected() {
	awk -v w="$STB_WARNING" -v o="$2" -v e="$3" '
		BEGIN { printf "" > o; printf "" > e }
		$0 == w { print > e; next }
		{ print > o }
	' "$1"
}

# --- running -----------------------------------------------------------------

rundir_listing() {
	if [ -d "$RUNBASE" ]; then
		(cd "$RUNBASE" && find . -mindepth 1 -maxdepth 1 -print 2> /dev/null | sort)
	fi
}

RUNDIR_BEFORE_ALL="$WORK/rundir.before-all"
rundir_listing > "$RUNDIR_BEFORE_ALL"

# run_cmd <block base> <log level or empty> <stdout> <stderr> [wrapper...]
# Runs the block's command in the scratch directory; sets RC and writes the
# rundir entries the run left behind to <stdout>.leftover.
run_cmd() {
	local base="$1" level="$2" out="$3" err="$4"
	shift 4
	local -a argv envv
	read -r -a argv < "$base.cmd"
	mapfile -t envv < "$base.env"
	[ -n "$level" ] && envv+=("VACCEL_LOG_LEVEL=$level")
	local prog="$STAGE/bin/${argv[0]}"
	local limit="$TIMEOUT"
	[ $# -gt 0 ] && limit="$VG_TIMEOUT"

	rundir_listing > "$out.rundir-before"
	RC=0
	(cd "$SCRATCH" &&
		exec env -i PATH="$PATH" HOME="${HOME:-/}" LANG=C "${envv[@]}" \
			timeout "$limit" "$@" "$prog" "${argv[@]:1}") \
		> "$out" 2> "$err" < /dev/null || RC=$?
	# New entries that are still there after the run are ours, unless
	# another process created them meanwhile: give those up to 3 s to go away.
	local tries=0
	while :; do
		rundir_listing > "$out.rundir-after"
		comm -13 "$out.rundir-before" "$out.rundir-after" > "$out.leftover"
		[ -s "$out.leftover" ] && [ "$tries" -lt 30 ] || break
		tries=$((tries + 1))
		sleep 0.1
	done
}

plugin_label() {
	sed -n 's/^VACCEL_PLUGINS=libvaccel-\(.*\)\.so$/\1/p' "$1.env"
}

# --- level 1 -------------------------------------------------------------------

for base in $(ls "$WORK/l1"/*.cmd | sed 's/\.cmd$//'); do
	cmd="$(cat "$base.cmd")"
	title="level1 [$(plugin_label "$base")] $cmd"
	exp_rc="$(cat "$base.rc")"
	split_expected "$base.exp" "$base.exp-out" "$base.exp-err"
	run_cmd "$base" "" "$base.out" "$base.err"

	details="$base.details"
	: > "$details"
	if [ "$RC" != "$exp_rc" ]; then
		echo "exit status $RC, expected $exp_rc" >> "$details"
	fi
	if ! diff -u --label expected-stdout --label actual-stdout "$base.exp-out" "$base.out" > "$base.diff"; then
		cat "$base.diff" >> "$details"
	fi
	if ! diff -u --label expected-stderr --label actual-stderr "$base.exp-err" "$base.err" > "$base.diff"; then
		cat "$base.diff" >> "$details"
	fi
	if [ -s "$base.out.leftover" ]; then
		sed "s|^\./|left behind in $RUNBASE: |" "$base.out.leftover" >> "$details"
	fi
	if [ -s "$details" ]; then
		fail "$title" "$details"
	else
		pass "$title"
	fi
done

# --- level 4 -------------------------------------------------------------------

# Reduce `YYYY.MM.DD-HH:MM:SS.CC - ESC[<c>m<tag>ESC[0m msg` to `<tag> msg`, only
# when the colour is the one of the tag (spec 7.1).
TS='[0-9]{4}\.[0-9]{2}\.[0-9]{2}-[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{2} - '
strip_log() {
	sed -E \
		-e "s/^${TS}${ESC}\[32m(<info>)${ESC}\[0m /\1 /" \
		-e "s/^${TS}${ESC}\[33m(<warn>)${ESC}\[0m /\1 /" \
		-e "s/^${TS}${ESC}\[34m(<debug>)${ESC}\[0m /\1 /" \
		-e "s/^${TS}${ESC}\[31m(<error>)${ESC}\[0m /\1 /" \
		-e "s/^${TS}${ESC}\[36m(<trace>)${ESC}\[0m /\1 /" \
		-e "s/^${TS}${ESC}\[35m(<fatal>)${ESC}\[0m /\1 /" \
		"$1"
}

# normalise <version> <file>: the values that legitimately differ between runs
# and builds.
normalise() {
	local ver="${1//./\\.}"
	sed -E \
		-e "s#/run/user/[0-9]+/vaccel/[A-Za-z0-9]{6}(/|\$| |')#/run/user/<uid>/vaccel/<top>\1#g" \
		-e "s#/run/user/[0-9]+#/run/user/<uid>#g" \
		-e "s#(/run/user/<uid>/vaccel/<top>/[^ ']*)_[A-Za-z0-9]{6}(\.[A-Za-z0-9]+)?(\$| |')#\1_<rand>\2\3#g" \
		-e "s/0x[0-9a-fA-F]+/<ptr>/g" \
		-e "s/(^|[^0-9A-Za-z.-])${ver}(\$|[^0-9A-Za-z.-])/\1<version>\2/g" \
		"$2"
}

for base in $(ls "$WORK/l4"/*.cmd | sed 's/\.cmd$//'); do
	cmd="$(cat "$base.cmd")"
	title="level4 [$(plugin_label "$base")] $cmd"
	exp_rc="$(cat "$base.rc")"
	split_expected "$base.exp" "$base.exp-out" "$base.exp-err"
	normalise "$UPSTREAM_VERSION" "$base.exp-out" > "$base.exp-norm"
	run_cmd "$base" 4 "$base.out" "$base.err"
	strip_log "$base.out" > "$base.stripped"
	normalise "$OUR_VERSION" "$base.stripped" > "$base.norm"

	details="$base.details"
	: > "$details"
	if [ "$RC" != "$exp_rc" ]; then
		echo "exit status $RC, expected $exp_rc" >> "$details"
	fi
	if ! diff -u --label expected-trace --label actual-trace "$base.exp-norm" "$base.norm" > "$base.diff"; then
		cat "$base.diff" >> "$details"
	fi
	if ! diff -u --label expected-stderr --label actual-stderr "$base.exp-err" "$base.err" > "$base.diff"; then
		cat "$base.diff" >> "$details"
	fi
	if [ -s "$base.out.leftover" ]; then
		sed "s|^\./|left behind in $RUNBASE: |" "$base.out.leftover" >> "$details"
	fi
	# the top-level rundir the run logged must be gone
	while IFS= read -r dir; do
		if [ -e "$dir" ]; then
			echo "top-level rundir $dir still exists" >> "$details"
		fi
	done < <(sed -n 's/^<debug> Created top-level rundir: //p' "$base.stripped")
	if [ -s "$details" ]; then
		fail "$title" "$details"
	else
		pass "$title"
	fi
done

# --- spec 21.1: classification without a text buffer --------------------------

skip "spec 21.1 classification without a text buffer: no example makes that call (classify passes a 512-byte text buffer, classify_generic both output arguments)"

# --- valgrind ------------------------------------------------------------------

if [ "${VALGRIND:-1}" = "0" ]; then
	skip "valgrind runs: VALGRIND=0"
elif ! command -v valgrind > /dev/null 2>&1; then
	skip "valgrind runs: valgrind is not installed"
else
	VG=(valgrind --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all
		--track-origins=yes --error-exitcode=1 --max-stackframe=3160000
		--num-callers=40)
	if [ -f "$SUPP" ]; then
		VG+=("--suppressions=$SUPP")
	fi
	for base in $(ls "$WORK/l1"/*.cmd | sed 's/\.cmd$//'); do
		cmd="$(cat "$base.cmd")"
		title="valgrind [$(plugin_label "$base")] $cmd"
		exp_rc="$(cat "$base.rc")"
		vglog="$base.vg.log"
		run_cmd "$base" "" "$base.vg.out" "$base.vg.err" "${VG[@]}" "--log-file=$vglog"

		details="$base.details"
		: > "$details"
		if [ "$RC" != "$exp_rc" ]; then
			echo "exit status $RC, expected $exp_rc" >> "$details"
		fi
		if ! grep -q 'ERROR SUMMARY: 0 errors' "$vglog" 2>/dev/null; then
			echo "valgrind reported errors:" >> "$details"
		fi
		if [ -s "$details" ] && [ -f "$vglog" ]; then
			# the valgrind report without its banner
			grep -v -E '^==[0-9]+== (Memcheck|Copyright|Using Valgrind|Command:|Parent PID:)' "$vglog" > "$base.vg.report"
			if [ "$(wc -l < "$base.vg.report")" -gt 150 ]; then
				head -n 150 "$base.vg.report" >> "$details"
				echo "... (report truncated; run with KEEP_WORK=1 for the whole of it)" >> "$details"
			else
				cat "$base.vg.report" >> "$details"
			fi
		fi
		if [ -s "$base.vg.out.leftover" ]; then
			sed "s|^\./|left behind in $RUNBASE: |" "$base.vg.out.leftover" >> "$details"
		fi
		if [ -s "$details" ]; then
			fail "$title" "$details"
		else
			pass "$title"
		fi
	done
fi

# --- run directory left as found -------------------------------------------------

rundir_listing > "$WORK/rundir.after-all"
if comm -13 "$RUNDIR_BEFORE_ALL" "$WORK/rundir.after-all" > "$WORK/rundir.leftover" &&
	[ ! -s "$WORK/rundir.leftover" ]; then
	pass "no leftover entries in $RUNBASE after the whole suite"
else
	sed -i "s|^\./|left behind: |" "$WORK/rundir.leftover"
	fail "leftover entries in $RUNBASE after the whole suite" "$WORK/rundir.leftover"
fi

report_summary
