#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Soak test (not in CI): one vaccel-rpc-agent serving libvaccel-cpu.so on a unix socket, 16
# client loops running a mix of real calls through libvaccel-rpc.so for a bounded time, and the
# agent's resident memory and open descriptors sampled every 10 s while busy and every minute
# while quiet (the clients hold between two calls, so nothing is in flight and the agent has
# released what their connections created). After the warm-up the quiet samples must stay within
# 10%: what remains once calls are over is what could leak. Prints the samples and a verdict.
#
# Usage: scripts/soak.sh <stage-dir> [seconds (default 600)] [clients (default 16)]
#
# Each client loop runs, in turn: classify (EfficientNet-Lite0 on ONNX Runtime), sgemm (512^3),
# minmax, exec and exec_with_resource (libmytestlib.so, admitted by the agent's exec_allow),
# torch_inference (cnn_trace.pt), tf_inference (the lstm2 SavedModel) and tflite_inference (the
# MediaPipe pose detector); every call is a new process, so a new connection, session and
# resources. Every call is bounded by `timeout`; the loops stop at the deadline. Needs ../shared
# beside the checkout for the models.

set -euo pipefail
export LC_ALL=C

STAGE="$(cd "${1:?usage: $0 <stage-dir> [seconds] [clients]}" && pwd)"
SECONDS_TOTAL="${2:-600}"
CLIENTS="${3:-16}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
ASSETS="${SHARED:-$ROOT/../shared}/assets"
WARMUP=$((SECONDS_TOTAL / 5 > 30 ? SECONDS_TOTAL / 5 : 30))
WORK="$(mktemp -d "${TMPDIR:-/tmp}/vaccel-soak.XXXXXX")"
SOCK="$WORK/agent.sock"
LIB="$STAGE/lib/libmytestlib.so"

"$STAGE/bin/vaccel-rpc-agent" -a "unix://$SOCK" \
	--vaccel-config "plugins=$STAGE/lib/libvaccel-cpu.so" \
	--agent-config "exec_allow=$LIB,exec_allow=sha256:$(sha256sum "$LIB" | cut -d' ' -f1)" \
	> "$WORK/agent.out" 2> "$WORK/agent.err" &
AGENT=$!
cleanup() {
	kill "$AGENT" 2> /dev/null || true
	wait "$AGENT" 2> /dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT
for _ in $(seq 200); do [ -S "$SOCK" ] && break; sleep 0.05; done
[ -S "$SOCK" ] || { echo "the agent did not start" >&2; cat "$WORK/agent.err" >&2; exit 1; }

export VACCEL_PLUGINS="$STAGE/lib/libvaccel-rpc.so" VACCEL_RPC_ADDRESS="unix://$SOCK"
export VACCEL_RPC_TIMEOUT_MS=60000
BIN="$STAGE/bin"
M="$ASSETS/models"
L="$ASSETS/labels/imagenet.txt"
IMG="$ASSETS/images/example.jpg"
CALLS=(
	"$BIN/classify $IMG 1"
	"$BIN/sgemm 1"
	"$BIN/minmax 2048 $ASSETS/input/input_2048.csv 0 4000"
	"$BIN/exec $LIB 1"
	"$BIN/exec_with_resource $LIB 1"
	"$BIN/torch_inference $IMG $M/vaccel-samples/torch/cnn_trace.pt $L"
	"$BIN/tf_inference $IMG $M/vaccel-samples/tf/lstm2 $L 1 serving_default_input_1 StatefulPartitionedCall 1,30"
	"$BIN/tflite_inference $IMG $ROOT/tests/data/tflite/pose_detection.tflite $L"
)
END=$((SECONDS + SECONDS_TOTAL))

client() { # <n>: runs the mix until the deadline; counts calls and failures
	local n=$1 i=$1 ok=0 bad=0
	while [ "$SECONDS" -lt "$END" ]; do
		if [ -e "$WORK/pause" ]; then # a quiet sample: wait between calls until it is taken
			touch "$WORK/idle.$n"
			while [ -e "$WORK/pause" ]; do sleep 0.05; done
			rm -f "$WORK/idle.$n"
		fi
		local call="${CALLS[$((i % ${#CALLS[@]}))]}"
		# shellcheck disable=SC2086
		if (cd "$WORK" && timeout 120 $call) > /dev/null 2>&1; then ok=$((ok + 1)); else
			bad=$((bad + 1))
			echo "client $n: failed: $call" >> "$WORK/failures"
		fi
		i=$((i + 1))
	done
	echo "$ok $bad" > "$WORK/client.$n"
}

PIDS=()
for n in $(seq "$CLIENTS"); do
	client "$n" &
	PIDS+=($!)
done

sample() { # RSS (KiB), open fds, threads of the agent
	echo "$(awk '/^VmRSS:/ {print $2}' "/proc/$AGENT/status")" \
		"$(find "/proc/$AGENT/fd" -mindepth 1 -maxdepth 1 2> /dev/null | wc -l)" \
		"$(awk '/^Threads:/ {print $2}' "/proc/$AGENT/status")"
}
echo "| t (s) | agent RSS (KiB) | open fds | threads | |"
echo "|---|---|---|---|---|"
: > "$WORK/quiet"
tick=0
while [ "$SECONDS" -lt "$END" ]; do
	t=$((SECONDS_TOTAL - (END - SECONDS)))
	read -r rss fds thr < <(sample)
	echo "| $t | $rss | $fds | $thr | busy |"
	tick=$((tick + 1))
	if [ $((tick % 6)) -eq 0 ]; then
		# Every minute, with no call in flight (each client between two calls, its process
		# gone, so the agent has released what it created): what the agent keeps.
		touch "$WORK/pause"
		for _ in $(seq 3000); do
			[ "$(find "$WORK" -maxdepth 1 -name 'idle.*' | wc -l)" -ge "$CLIENTS" ] && break
			sleep 0.05
		done
		sleep 1
		read -r rss fds thr < <(sample)
		rm -f "$WORK/pause"
		t=$((SECONDS_TOTAL - (END - SECONDS)))
		echo "| $t | $rss | $fds | $thr | quiet |"
		[ "$t" -ge "$WARMUP" ] && echo "$rss $fds" >> "$WORK/quiet"
	fi
	sleep 10
done
wait "${PIDS[@]}"

ok=0 bad=0
for f in "$WORK"/client.*; do read -r a b < "$f"; ok=$((ok + a)); bad=$((bad + b)); done
echo
echo "calls: $ok succeeded, $bad failed in ${SECONDS_TOTAL}s with $CLIENTS clients"
[ -s "$WORK/failures" ] && sort "$WORK/failures" | uniq -c | sort -rn | head -5
kill -0 "$AGENT" 2> /dev/null || { echo "FAIL: the agent died" >&2; exit 1; }
# The quiet samples (no call in flight) after the warm-up must stay within 10% of their least.
verdict=$(awk -v warm="$WARMUP" '
	NR == 1 { rmin = rmax = $1; fmin = fmax = $2 }
	{ if ($1 < rmin) rmin = $1; if ($1 > rmax) rmax = $1; if ($2 < fmin) fmin = $2; if ($2 > fmax) fmax = $2 }
	END {
		r = (rmax - rmin) / rmin * 100; f = (fmax - fmin) / (fmin > 0 ? fmin : 1) * 100
		printf "quiet samples after the %ds warm-up (%d): RSS %d..%d KiB (%.1f%%), fds %d..%d (%.1f%%)\n", warm, NR, rmin, rmax, r, fmin, fmax, f
		exit !(NR > 0 && r <= 10 && f <= 10)
	}' "$WORK/quiet") && status=0 || status=1
echo "$verdict"
if [ "$status" -eq 0 ] && [ "$bad" -eq 0 ]; then echo "PASS: stable within 10%, no failed call"; else
	echo "FAIL"; exit 1; fi
