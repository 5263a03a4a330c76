#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Soak test (not in CI): one vaccel-rpc-agent serving libvaccel-cpu.so on a unix socket, 16
# client loops running a mix of real calls through libvaccel-rpc.so for a bounded time, and the
# agent's resident memory and open descriptors sampled throughout. After the warm-up, both must
# stay within 10% (the least value of each minute, so that what the calls in flight hold at a
# sampling moment does not count as growth); the script prints the samples and a verdict.
#
# Usage: scripts/soak.sh <stage-dir> [seconds (default 600)] [clients (default 16)]
#
# Each client loop runs, in turn: classify (EfficientNet-Lite0 on ONNX Runtime), sgemm (512^3),
# minmax, exec and exec_with_resource (libmytestlib.so, admitted by the agent's exec_allow),
# torch_inference (cnn_trace.pt), tf_inference (the lstm2 SavedModel) and tflite_inference (the
# MediaPipe pose detector) when the plugin has those runtimes; every call is a new process, so a
# new connection, session and resources. Every call is bounded by `timeout`; the loops stop at the
# deadline. Needs ../shared beside the checkout for the models.

set -euo pipefail
export LC_ALL=C

STAGE="$(cd "${1:?usage: $0 <stage-dir> [seconds] [clients]}" && pwd)"
SECONDS_TOTAL="${2:-600}"
CLIENTS="${3:-16}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
ASSETS="${SHARED:-$ROOT/../shared}/assets"
WARMUP=$((SECONDS_TOTAL / 10 > 30 ? SECONDS_TOTAL / 10 : 30))
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

for n in $(seq "$CLIENTS"); do client "$n" & done

echo "| t (s) | agent RSS (KiB) | open fds | threads |"
echo "|---|---|---|---|"
: > "$WORK/samples"
while [ "$SECONDS" -lt "$END" ]; do
	rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$AGENT/status")
	fds=$(find "/proc/$AGENT/fd" -mindepth 1 -maxdepth 1 2> /dev/null | wc -l)
	thr=$(awk '/^Threads:/ {print $2}' "/proc/$AGENT/status")
	t=$((SECONDS_TOTAL - (END - SECONDS)))
	echo "| $t | $rss | $fds | $thr |"
	[ "$t" -ge "$WARMUP" ] && echo "$rss $fds" >> "$WORK/samples"
	sleep 10
done
wait $(jobs -p | grep -v "^$AGENT\$") 2> /dev/null || true

ok=0 bad=0
for f in "$WORK"/client.*; do read -r a b < "$f"; ok=$((ok + a)); bad=$((bad + b)); done
echo
echo "calls: $ok succeeded, $bad failed in ${SECONDS_TOTAL}s with $CLIENTS clients"
[ -s "$WORK/failures" ] && sort "$WORK/failures" | uniq -c | sort -rn | head -5
kill -0 "$AGENT" 2> /dev/null || { echo "FAIL: the agent died" >&2; exit 1; }
# 16 clients keep calls in flight, so a sample holds what those calls hold at that moment (their
# models' working memory, their connections). A leak shows as a rising baseline: the samples are
# taken in windows of a minute, and the least RSS and fds of each window must stay within 10%.
verdict=$(awk -v warm="$WARMUP" '
	{ w = int((NR - 1) / 6); if (!(w in rmin) || $1 < rmin[w]) rmin[w] = $1; if (!(w in fmin) || $2 < fmin[w]) fmin[w] = $2; n = w }
	END {
		lo_r = hi_r = rmin[0]; lo_f = hi_f = fmin[0]; line = ""
		for (i = 0; i <= n; i++) {
			if (rmin[i] < lo_r) lo_r = rmin[i]; if (rmin[i] > hi_r) hi_r = rmin[i]
			if (fmin[i] < lo_f) lo_f = fmin[i]; if (fmin[i] > hi_f) hi_f = fmin[i]
			line = line sprintf(" %d/%d", rmin[i], fmin[i])
		}
		r = (hi_r - lo_r) / lo_r * 100; f = (hi_f - lo_f) / (lo_f > 0 ? lo_f : 1) * 100
		printf "after the %ds warm-up, per minute, least RSS KiB/fds:%s\n", warm, line
		printf "baseline RSS %d..%d KiB (%.1f%%), fds %d..%d (%.1f%%)\n", lo_r, hi_r, r, lo_f, hi_f, f
		exit !(r <= 10 && f <= 10)
	}' "$WORK/samples") && status=0 || status=1
echo "$verdict"
if [ "$status" -eq 0 ] && [ "$bad" -eq 0 ]; then echo "PASS: stable within 10%, no failed call"; else
	echo "FAIL"; exit 1; fi
