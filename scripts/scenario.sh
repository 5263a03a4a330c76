#!/usr/bin/env bash
# The reference scenario end to end, with real acceleration: vaccel-rpc-agent serving the CPU
# plugin (libvaccel-cpu.so: EfficientNet-Lite0 through ONNX Runtime), and the classify example
# forwarding its call through libvaccel-rpc.so; then the agent is stopped.
#
# Usage: scripts/scenario.sh <install-or-stage-dir> [agent address] [plugin]
# The plugin defaults to libvaccel-cpu.so; libvaccel-noop.so gives upstream's dummy answers.
# The address defaults to a unix socket in a temporary directory, so nothing else on the machine
# can collide with it; pass e.g. tcp://127.0.0.1:65500 for the upstream page's exact setup.
set -euo pipefail
stage=$(cd "$1" && pwd)
dir=$(mktemp -d)
address=${2:-unix://$dir/agent.sock}
plugin=${3:-libvaccel-cpu.so}

"$stage/bin/vaccel-rpc-agent" -a "$address" --vaccel-config "plugins=$stage/lib/$plugin" \
  2>"$dir/agent.log" &
agent=$!
trap 'kill "$agent" 2>/dev/null; wait "$agent" 2>/dev/null; rm -rf "$dir"' EXIT

# Wait (bounded) until the agent accepts connections.
for _ in $(seq 100); do
  if grep -q 'Listening on' "$dir/agent.log" 2>/dev/null; then break; fi
  kill -0 "$agent" 2>/dev/null || { cat "$dir/agent.log" >&2; exit 1; }
  sleep 0.1
done

VACCEL_PLUGINS=libvaccel-rpc.so VACCEL_RPC_ADDRESS="$address" \
  "$stage/bin/classify" "$stage/share/vaccel/images/example.jpg" 1
