#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# The example programs through the RPC pair (issue 3 acceptance): every example
# produces, with VACCEL_PLUGINS=libvaccel-rpc.so and a vaccel-rpc-agent serving
# the plugin the example would otherwise load, the same stdout, stderr and exit
# status as with that plugin loaded locally; on tcp and on unix sockets; and the
# client side runs valgrind-clean.
#
# Usage: tests/run-examples-rpc.sh <stage-dir> <vaccel-rpc-agent> <libvaccel-rpc.so>
#
#   <stage-dir>   an install tree (`make stage`: build/stage) with lib/ (libvaccel,
#                 the plugins, libmytestlib.so), bin/ (the examples) and
#                 share/vaccel/ (the example data);
#   <agent>       the vaccel-rpc-agent binary;
#   <plugin>      the RPC plugin (target/*/libvaccel_rpc.so, or the installed
#                 libvaccel-rpc.so).
#
# The commands and expected outputs are parsed from the spec's
# $SHARED/spec/data/example-outputs-level1.txt exactly as tests/run-examples.sh
# does: `+ <command>` / stdout lines / `[exit N]` blocks; the blocks run with
# the noop plugin, from the second `+ mbench 1 example.jpg` with the mbench
# plugin, from the second `+ exec libmytestlib.so 1` with the exec plugin and
# VACCEL_EXEC_DLCLOSE_ENABLED=1. Here that plugin is loaded by the agent
# (`--vaccel-config plugins=<stage>/lib/libvaccel-<name>.so`), one agent per
# plugin and transport, and the example runs with only the RPC plugin.
#
# What the user library prints (`I got ...`, `Will return output: ...`) is
# printed by the process that runs it, i.e. the agent: those lines are taken out
# of the expected client stdout and must appear, in order, on the agent's
# stdout instead (checked once per agent, after its shutdown).
#
# Checks (one `ok - ...` / `FAIL - ...` line each, then `N passed, M failed`):
#   agent:    starts and listens (the socket is polled for, no fixed sleeps);
#             exits 0 on SIGTERM; removes its unix socket file;
#   run:      client stdout and stderr identical to the expected ones (the STB
#             warning of the inference examples is expected on stderr), exit
#             status as expected;
#   agent-side output: the library's lines, as above;
#   valgrind: every command again under valgrind (--leak-check=full
#             --show-leak-kinds=all --errors-for-leak-kinds=all
#             --track-origins=yes --error-exitcode=1, suppressions
#             tests/valgrind.supp): exit status as expected and
#             `ERROR SUMMARY: 0 errors`. VALGRIND=0 skips these.
#
# Environment: SHARED (directory holding spec/; default ../shared beside the
# repository), TRANSPORTS (default "tcp unix"), TIMEOUT (seconds per run,
# default 60), VG_TIMEOUT (per valgrind run, default 300), AGENT_TIMEOUT
# (seconds to wait for an agent to listen or exit, default 20), KEEP_WORK=1 to
# keep the scratch directory.

set -euo pipefail

# shellcheck source=lib/spec-blocks.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/spec-blocks.sh"
# shellcheck source=lib/report.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/report.sh"
# shellcheck source=lib/agent.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/agent.sh"

export LC_ALL=C

if [ $# -ne 3 ] || [ ! -d "$1" ] || [ ! -x "$2" ] || [ ! -f "$3" ]; then
	echo "Usage: $0 <stage-dir> <vaccel-rpc-agent> <libvaccel-rpc.so>" >&2
	exit 2
fi

STAGE="$(cd "$1" && pwd)"
AGENT="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"
PLUGIN="$(cd "$(dirname "$3")" && pwd)/$(basename "$3")"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SHARED="${SHARED:-$ROOT/../shared}"
if [ ! -d "$SHARED/spec/data" ]; then
	echo "error: spec data not found under SHARED=$SHARED (set SHARED to the directory holding spec/)" >&2
	exit 2
fi
LEVEL1_FILE="$(cd "$SHARED/spec/data" && pwd)/example-outputs-level1.txt"
SUPP="$ROOT/tests/valgrind.supp"
TIMEOUT="${TIMEOUT:-60}"
VG_TIMEOUT="${VG_TIMEOUT:-300}"
AGENT_TIMEOUT="${AGENT_TIMEOUT:-20}"
TRANSPORTS="${TRANSPORTS:-tcp unix}"
STB_WARNING="Warning: STB not found; will generate random input"
# Lines the example library (libmytestlib.so) prints itself.
LIB_LINES='^(I got nr_in: |I got input: |Will return output: )'

[ -f "$LEVEL1_FILE" ] || { echo "error: missing $LEVEL1_FILE" >&2; exit 2; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/vaccel-rpc-examples.XXXXXX")"
AGENT_PID=""
cleanup() {
	if [ -n "$AGENT_PID" ] && kill -0 "$AGENT_PID" 2> /dev/null; then
		kill -KILL "$AGENT_PID" 2> /dev/null || true
	fi
	if [ "${KEEP_WORK:-0}" = "1" ]; then
		echo "# outputs kept in $WORK" >&2
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT

SCRATCH="$WORK/run"
mkdir -p "$SCRATCH"
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
	if [ ! -e "${LINKS[$name]}" ]; then
		echo "error: ${LINKS[$name]} is missing from the stage directory" >&2
		exit 2
	fi
	ln -s "${LINKS[$name]}" "$SCRATCH/$name"
done
mkdir -p "/run/user/$(id -u)" 2> /dev/null || true


# --- the spec's blocks (tests/lib/spec-blocks.sh) -----------------------------

BLOCKS="$WORK/blocks"
parse_blocks "$LEVEL1_FILE" "$BLOCKS"
NBLOCKS=$(ls "$BLOCKS"/*.cmd | wc -l)
if [ "$NBLOCKS" -gt 0 ]; then
	pass "spec file parsed: $NBLOCKS commands"
else
	fail "no commands parsed from $LEVEL1_FILE"
fi

# Expected client stdout / stderr / agent-side lines of a block.
for base in $(ls "$BLOCKS"/*.cmd | sed 's/\.cmd$//'); do
	awk -v w="$STB_WARNING" -v lib="$LIB_LINES" -v o="$base.exp-out" -v e="$base.exp-err" -v a="$base.exp-agent" '
		BEGIN { printf "" > o; printf "" > e; printf "" > a }
		$0 == w { print > e; next }
		$0 ~ lib { print > a; next }
		{ print > o }
	' "$base.exp"
done

# --- agents --------------------------------------------------------------------

# The library's printf()s run in the agent: line-buffer its stdout when stdbuf
# is there (otherwise they arrive at its exit, which is when they are checked).
LINEBUF=()
command -v stdbuf > /dev/null 2>&1 && LINEBUF=(stdbuf -oL -eL)

MYTESTLIB_SHA256="$(sha256sum "$STAGE/lib/libmytestlib.so" | cut -d' ' -f1)"

# start_agent <plugin> <transport> <label>: starts the agent in the background,
# sets AGENT_PID, ADDRESS and SOCK (the unix socket path, or empty), and waits
# until it accepts connections. Returns non-zero if it never does.
start_agent() {
	local plugin="$1" transport="$2" dir="$3" tries port
	local -a envv=(PATH="$PATH" HOME="${HOME:-/}" LANG=C VACCEL_BOOTSTRAP_ENABLED=0
		LD_LIBRARY_PATH="$STAGE/lib")
	[ "$plugin" = exec ] && envv+=(VACCEL_EXEC_DLCLOSE_ENABLED=1)
	# The agent refuses exec unless its policy admits the library: the examples' one, by path
	# (exec) and by content (exec_with_resource registers it), and mbench's `mbench` (a name the
	# mbench plugin's exec interprets itself).
	envv+=("VACCEL_RPC_AGENT_CONFIG=exec_allow=$STAGE/lib/libmytestlib.so,exec_allow=sha256:$MYTESTLIB_SHA256,exec_allow=mbench:mbench")
	mkdir -p "$dir"
	for tries in 1 2 3 4 5; do
		if [ "$transport" = unix ]; then
			SOCK="$dir/agent.sock"
			ADDRESS="unix://$SOCK"
		else
			SOCK=""
			port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
			ADDRESS="tcp://127.0.0.1:$port"
		fi
		(cd "$SCRATCH" && exec env -i "${envv[@]}" "${LINEBUF[@]}" "$AGENT" -a "$ADDRESS" \
			--vaccel-config "plugins=$STAGE/lib/libvaccel-$plugin.so") \
			> "$dir/agent.out" 2> "$dir/agent.err" < /dev/null &
		AGENT_PID=$!
		local deadline=$((SECONDS + AGENT_TIMEOUT))
		while [ "$SECONDS" -lt "$deadline" ]; do
			alive "$AGENT_PID" || break
			if [ "$transport" = unix ]; then
				[ -S "$SOCK" ] && return 0
			elif (exec 3<> "/dev/tcp/127.0.0.1/$port") 2> /dev/null; then
				return 0
			fi
			sleep 0.05
		done
		if alive "$AGENT_PID"; then
			kill -KILL "$AGENT_PID" 2> /dev/null || true
			wait "$AGENT_PID" 2> /dev/null || true
			AGENT_PID=""
			return 1
		fi
		wait "$AGENT_PID" 2> /dev/null || true
		AGENT_PID=""
		# exited: on tcp maybe the port was taken; try another one
		[ "$transport" = tcp ] || return 1
	done
	return 1
}

# --- running -------------------------------------------------------------------

# run_client <base> <out> <err> [wrapper...]: sets RC.
run_client() {
	local base="$1" out="$2" err="$3"
	shift 3
	local -a argv
	read -r -a argv < "$base.cmd"
	local limit="$TIMEOUT"
	[ $# -gt 0 ] && limit="$VG_TIMEOUT"
	RC=0
	(cd "$SCRATCH" &&
		exec env -i PATH="$PATH" HOME="${HOME:-/}" LANG=C VACCEL_PLUGINS="$PLUGIN" \
			VACCEL_RPC_ADDRESS="$ADDRESS" \
			timeout "$limit" "$@" "$STAGE/bin/${argv[0]}" "${argv[@]:1}") \
		> "$out" 2> "$err" < /dev/null || RC=$?
}

VG=()
if [ "${VALGRIND:-1}" != "0" ] && command -v valgrind > /dev/null 2>&1; then
	VG=(valgrind --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all
		--track-origins=yes --error-exitcode=1 --max-stackframe=3160000 --num-callers=40)
	[ -f "$SUPP" ] && VG+=("--suppressions=$SUPP")
fi

for transport in $TRANSPORTS; do
	for plugin in noop mbench exec; do
		group="$transport-$plugin"
		gdir="$WORK/$group"
		mkdir -p "$gdir"
		bases=()
		for base in $(ls "$BLOCKS"/*.cmd | sed 's/\.cmd$//'); do
			[ "$(cat "$base.plugin")" = "$plugin" ] && bases+=("$base")
		done
		[ ${#bases[@]} -gt 0 ] || continue

		if ! start_agent "$plugin" "$transport" "$gdir"; then
			cat "$gdir/agent.err" > "$gdir/details" 2> /dev/null || true
			fail "[$group] agent does not listen on $ADDRESS" "$gdir/details"
			for base in "${bases[@]}"; do
				fail "[$group] $(cat "$base.cmd"): no agent"
			done
			continue
		fi
		pass "[$group] agent listens on $ADDRESS"

		: > "$gdir/exp-agent"
		for base in "${bases[@]}"; do
			cmd="$(cat "$base.cmd")"
			name="$gdir/$(basename "$base")"
			cat "$base.exp-agent" >> "$gdir/exp-agent"
			run_client "$base" "$name.out" "$name.err"
			: > "$name.details"
			[ "$RC" = "$(cat "$base.rc")" ] || echo "exit status $RC, expected $(cat "$base.rc")" >> "$name.details"
			diff -u --label expected-stdout --label actual-stdout "$base.exp-out" "$name.out" >> "$name.details" || true
			diff -u --label expected-stderr --label actual-stderr "$base.exp-err" "$name.err" >> "$name.details" || true
			if [ -s "$name.details" ]; then
				fail "[$group] $cmd" "$name.details"
			else
				pass "[$group] $cmd"
			fi

			if [ ${#VG[@]} -gt 0 ]; then
				cat "$base.exp-agent" >> "$gdir/exp-agent"
				run_client "$base" "$name.vg.out" "$name.vg.err" "${VG[@]}" "--log-file=$name.vg.log"
				: > "$name.vg.details"
				[ "$RC" = "$(cat "$base.rc")" ] || echo "exit status $RC, expected $(cat "$base.rc")" >> "$name.vg.details"
				diff -u --label expected-stdout --label actual-stdout "$base.exp-out" "$name.vg.out" >> "$name.vg.details" || true
				if ! grep -q 'ERROR SUMMARY: 0 errors' "$name.vg.log" 2> /dev/null; then
					echo "valgrind reported errors:" >> "$name.vg.details"
					grep -v -E '^==[0-9]+== (Memcheck|Copyright|Using Valgrind|Command:|Parent PID:)' \
						"$name.vg.log" >> "$name.vg.details" 2> /dev/null || true
				fi
				if [ -s "$name.vg.details" ]; then
					fail "[$group] valgrind $cmd" "$name.vg.details"
				else
					pass "[$group] valgrind $cmd"
				fi
			fi
		done

		stop_agent
		if [ "$AGENT_RC" = 0 ]; then
			pass "[$group] agent exits 0 on SIGTERM"
		else
			cp "$gdir/agent.err" "$gdir/stop.details" 2> /dev/null || true
			fail "[$group] agent exit status $AGENT_RC on SIGTERM" "$gdir/stop.details"
		fi
		if [ -n "$SOCK" ]; then
			if [ -e "$SOCK" ]; then
				fail "[$group] agent left its socket $SOCK behind"
			else
				pass "[$group] agent removed its socket"
			fi
		fi
		grep -E "$LIB_LINES" "$gdir/agent.out" > "$gdir/agent.lib" || true
		if diff -u --label expected-agent-stdout --label actual-agent-stdout \
			"$gdir/exp-agent" "$gdir/agent.lib" > "$gdir/agent.diff"; then
			pass "[$group] library output on the agent side ($(wc -l < "$gdir/exp-agent") lines)"
		else
			fail "[$group] library output on the agent side" "$gdir/agent.diff"
		fi
	done
done

[ ${#VG[@]} -gt 0 ] || skip "valgrind runs: VALGRIND=0 or valgrind missing"

# --- no agent: a clear error, exit status VACCEL_EIO, within the connect timeout --

NOAGENT="$WORK/noagent"
mkdir -p "$NOAGENT"
# a closed tcp port and a missing unix socket
for ADDRESS in "tcp://127.0.0.1:1" "unix://$NOAGENT/missing.sock"; do
	start=$SECONDS
	RC=0
	(cd "$SCRATCH" &&
		exec env -i PATH="$PATH" HOME="${HOME:-/}" LANG=C VACCEL_PLUGINS="$PLUGIN" \
			VACCEL_RPC_ADDRESS="$ADDRESS" VACCEL_RPC_CONNECT_TIMEOUT_MS=1000 \
			timeout "$TIMEOUT" "$STAGE/bin/noop") > "$NOAGENT/out" 2> "$NOAGENT/err" < /dev/null || RC=$?
	elapsed=$((SECONDS - start))
	: > "$NOAGENT/details"
	[ "$RC" = 5 ] || echo "exit status $RC, expected 5 (VACCEL_EIO)" >> "$NOAGENT/details"
	grep -q "Could not connect to the vAccel RPC agent at " "$NOAGENT/out" ||
		{ echo "no connect error on stdout:"; cat "$NOAGENT/out"; } >> "$NOAGENT/details"
	[ "$elapsed" -le 5 ] || echo "took ${elapsed}s" >> "$NOAGENT/details"
	if [ -s "$NOAGENT/details" ]; then
		fail "no agent at $ADDRESS" "$NOAGENT/details"
	else
		pass "no agent at $ADDRESS: exit 5 and a clear error in ${elapsed}s"
	fi
done

report_summary
