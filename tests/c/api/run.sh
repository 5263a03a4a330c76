#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# C API behaviour tests: compiles the test plugins (plugins/*.c) and the test
# programs (*.c) in this directory against an installed/staged vAccel tree and
# runs each program with the environment it needs.
#
# Usage: tests/c/api/run.sh <stage-dir> [test-name...]
#
#   <stage-dir>   tree with include/, lib/ (libvaccel.so, the bundled
#                 plugins, libmytestlib.so), bin/ (examples) and
#                 share/vaccel/ (data), e.g. build/stage
#   test-name     run only these programs (e.g. test_ops); default: all
#
# Environment:
#   CC            C compiler (default cc)
#   TEST_WRAPPER  command prefixed to every test program, e.g.
#                 "valgrind --leak-check=full --show-leak-kinds=all
#                 --errors-for-leak-kinds=all --error-exitcode=1
#                 --child-silent-after-fork=yes". For valgrind, a
#                 suppression is added for the glibc link maps of plugins
#                 that the load-time constructor dlopen()ed: the matching
#                 dlclose() runs from the library destructor inside
#                 _dl_fini, where glibc never unloads objects (upstream's
#                 CI uses a suppressions file for the same reason).
#   KEEP_LOGS=1   keep the build/log directory even when everything passes
#
# Each program prints `N passed, M failed`; failing checks are printed as
# `FAIL: file:line: ...` on stderr. This script prints one summary line per
# program run, lists every failing check, then prints the total
# `N passed, M failed` and exits 1 on any failure.

set -uo pipefail

if [[ $# -lt 1 ]]; then
	echo "usage: $0 <stage-dir> [test-name...]" >&2
	exit 2
fi

STAGE="$(cd "$1" && pwd)" || exit 2
shift
SRC="$(cd "$(dirname "$0")" && pwd)"
CC="${CC:-cc}"
TEST_WRAPPER="${TEST_WRAPPER:-}"

for f in "$STAGE/include/vaccel.h" "$STAGE/lib/libvaccel.so" \
	"$STAGE/lib/libvaccel-noop.so" "$STAGE/lib/libvaccel-exec.so" \
	"$STAGE/lib/libmytestlib.so" "$STAGE/bin/noop" \
	"$STAGE/share/vaccel/input/input_2048.csv"; do
	if [[ ! -e "$f" ]]; then
		echo "error: $f not found (run \`make stage\` first)" >&2
		exit 2
	fi
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/vaccel-capi-tests.XXXXXX")"
BIN="$WORK/bin"
PLUGDIR="$WORK/plugins"
LOGS="$WORK/logs"
mkdir -p "$BIN" "$PLUGDIR" "$LOGS"

if [[ "$TEST_WRAPPER" == valgrind* ]]; then
	cat >"$WORK/vaccel.supp" <<'EOF'
{
   vaccel-plugin-dlopened-by-the-load-time-constructor
   Memcheck:Leak
   match-leak-kinds: reachable
   ...
   fun:*dlopen*
   ...
   fun:*on_load*
}
EOF
	TEST_WRAPPER="valgrind --num-callers=64 --suppressions=$WORK/vaccel.supp ${TEST_WRAPPER#valgrind}"
fi

CFLAGS=(-std=gnu11 -Wall -Wextra -Werror -I"$STAGE/include")
LDFLAGS=(-L"$STAGE/lib" -Wl,-rpath,"$STAGE/lib" -lvaccel -ldl)

TOTAL_PASS=0
TOTAL_FAIL=0
FAILED_CHECKS=()

build_fail() {
	echo "BUILD FAILED: $1"
	FAILED_CHECKS+=("build: $1")
	TOTAL_FAIL=$((TOTAL_FAIL + 1))
}

# ---------------------------------------------------------------------------
# Test plugins
# ---------------------------------------------------------------------------
# name|source|extra flags
PLUGINS=(
	'libtp-good.so|test_plugin.c|'
	'libtp-gpu.so|test_plugin.c|-DTP_NAME=\"gpu\" -DTP_TYPE=VACCEL_PLUGIN_GPU'
	'libtp-noname.so|test_plugin.c|-DTP_NO_NAME'
	'libtp-noversion.so|test_plugin.c|-DTP_NO_VERSION'
	'libtp-noinit.so|test_plugin.c|-DTP_NO_INIT'
	'libtp-nofini.so|test_plugin.c|-DTP_NO_FINI'
	'libtp-novv.so|test_plugin.c|-DTP_NAME=\"novv\" -DTP_NO_VACCEL_VERSION'
	'libtp-badver.so|test_plugin.c|-DTP_NAME=\"badver\" -DTP_VACCEL_VERSION=\"abc\"'
	'libtp-major.so|test_plugin.c|-DTP_NAME=\"major\" -DTP_VACCEL_VERSION=\"1.0.0\"'
	'libtp-minor.so|test_plugin.c|-DTP_NAME=\"minor\" -DTP_VACCEL_VERSION=\"0.9.0\"'
	'libtp-extra.so|test_plugin.c|-DTP_NAME=\"extra\" -DTP_VACCEL_VERSION=VACCEL_VERSION\"-93-ebc23b1f\"'
	'libtp-vprefix.so|test_plugin.c|-DTP_NAME=\"vprefix\" -DTP_VACCEL_VERSION=\"v\"VACCEL_VERSION'
	'libtp-initfail.so|test_plugin.c|-DTP_NAME=\"initfail\" -DTP_INIT_RET=VACCEL_ENODEV'
	'libnot-a-plugin.so|not_a_plugin.c|'
	'libmock-transport.so|mock_transport.c|'
	'libmock-nosession.so|mock_transport.c|-DMOCK_NAME=\"nosession\" -DMOCK_NO_SESSION_INIT -DMOCK_NO_SESSION_UPDATE'
	'libmock-noreg.so|mock_transport.c|-DMOCK_NAME=\"noreg\" -DMOCK_NO_RESOURCE_REGISTER -DMOCK_NO_SESSION_UPDATE'
	'libmock-nosync.so|mock_transport.c|-DMOCK_NAME=\"nosync\" -DMOCK_NO_RESOURCE_SYNC'
)
for p in "${PLUGINS[@]}"; do
	IFS='|' read -r name src extra <<<"$p"
	# shellcheck disable=SC2086
	if ! eval "\"$CC\" \"\${CFLAGS[@]}\" -fPIC -shared $extra -o \"$PLUGDIR/$name\" \"$SRC/plugins/$src\"" \
		>"$LOGS/build-$name.log" 2>&1; then
		cat "$LOGS/build-$name.log"
		build_fail "$name"
	fi
done

# ---------------------------------------------------------------------------
# Test programs and their environment
# ---------------------------------------------------------------------------
NOBOOT="VACCEL_BOOTSTRAP_ENABLED=0 VACCEL_CLEANUP_ENABLED=0"
NOOP="VACCEL_PLUGINS=libvaccel-noop.so"
EXEC="VACCEL_PLUGINS=libvaccel-exec.so VACCEL_EXEC_DLCLOSE_ENABLED=1"
# label|program|environment
RUNS=(
	"test_core|test_core|$NOBOOT"
	"test_startup|test_startup|"
	"test_plugin|test_plugin|$NOBOOT"
	"test_select|test_select|$NOBOOT"
	"test_session|test_session|$NOOP"
	"test_remote|test_remote|$NOBOOT"
	"test_resource|test_resource|$NOOP"
	"test_blob|test_blob|$NOOP"
	"test_ops|test_ops|$NOOP"
	"test_exec(noop)|test_exec|$NOOP"
	"test_exec(exec)|test_exec|$EXEC"
	"test_exec(exec,lazy)|test_exec|$EXEC VACCEL_EXEC_DLOPEN_MODE=lazy"
	"test_framework|test_framework|$NOOP"
	"test_prof|test_prof|$NOBOOT"
	"test_args|test_args|"
)

want() {
	[[ ${#SELECTED[@]} -eq 0 ]] && return 0
	local s
	for s in "${SELECTED[@]}"; do
		[[ "$s" == "$1" ]] && return 0
	done
	return 1
}
SELECTED=("$@")

declare -A BUILT=()
for r in "${RUNS[@]}"; do
	IFS='|' read -r label prog env <<<"$r"
	want "$prog" || continue
	[[ -n "${BUILT[$prog]:-}" ]] && continue
	if "$CC" "${CFLAGS[@]}" -o "$BIN/$prog" "$SRC/$prog.c" "${LDFLAGS[@]}" \
		>"$LOGS/build-$prog.log" 2>&1; then
		BUILT[$prog]=ok
	else
		cat "$LOGS/build-$prog.log"
		build_fail "$prog"
		BUILT[$prog]=failed
	fi
done

for r in "${RUNS[@]}"; do
	IFS='|' read -r label prog env <<<"$r"
	want "$prog" || continue
	[[ "${BUILT[$prog]}" == ok ]] || continue
	log="$LOGS/$(echo "$label" | tr -c 'A-Za-z0-9_\n' '_').log"
	# shellcheck disable=SC2086
	env -u VACCEL_PLUGINS -u VACCEL_BACKENDS -u VACCEL_LOG_FILE \
		-u VACCEL_DEBUG_LEVEL -u VACCEL_PROFILING_ENABLED \
		-u VACCEL_VERSION_IGNORE -u VACCEL_IGNORE_VERSION \
		-u VACCEL_BOOTSTRAP_ENABLED -u VACCEL_CLEANUP_ENABLED \
		-u VACCEL_EXEC_DLOPEN_MODE -u VACCEL_EXEC_DLCLOSE_ENABLED \
		-u VACCEL_EXEC_DLCLOSE \
		VACCEL_LOG_LEVEL=4 \
		LD_LIBRARY_PATH="$STAGE/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
		VACCEL_TEST_STAGE="$STAGE" \
		VACCEL_TEST_DATA="$STAGE/share/vaccel" \
		VACCEL_TEST_PLUGINS="$PLUGDIR" \
		$env $TEST_WRAPPER "$BIN/$prog" >"$log" 2>&1
	rc=$?
	summary="$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)"
	if [[ -z "$summary" ]]; then
		echo "$label: no summary (exit status $rc) -- see $log"
		tail -n 20 "$log" | sed 's/^/    /'
		FAILED_CHECKS+=("$label: crashed or did not finish (exit status $rc)")
		TOTAL_FAIL=$((TOTAL_FAIL + 1))
		continue
	fi
	p="${summary%% passed*}"
	f="${summary#*passed, }"
	f="${f%% failed}"
	TOTAL_PASS=$((TOTAL_PASS + p))
	TOTAL_FAIL=$((TOTAL_FAIL + f))
	echo "$label: $summary"
	if [[ "$f" -ne 0 ]]; then
		while IFS= read -r line; do
			FAILED_CHECKS+=("$label: ${line#FAIL: }")
		done < <(grep -a '^FAIL: ' "$log")
	elif [[ $rc -ne 0 ]]; then
		FAILED_CHECKS+=("$label: exit status $rc despite 0 failed checks")
		TOTAL_FAIL=$((TOTAL_FAIL + 1))
	fi
done

if [[ ${#FAILED_CHECKS[@]} -ne 0 ]]; then
	echo
	echo "Failing checks:"
	printf '  %s\n' "${FAILED_CHECKS[@]}"
	echo "(logs kept in $LOGS)"
elif [[ "${KEEP_LOGS:-0}" == 1 ]]; then
	echo "(logs kept in $LOGS)"
else
	rm -rf "$WORK"
fi

echo "$TOTAL_PASS passed, $TOTAL_FAIL failed"
[[ $TOTAL_FAIL -eq 0 ]]
