# Shared by the test scripts under tests/ (sourced): the one way they report checks, a TAP-like
# `ok - ` / `FAIL - ` / `skip - ` line each, counted, and the summary that sets the exit status.

PASSED=0
FAILED=0

# pass <title>
pass() {
	echo "ok - $1"
	PASSED=$((PASSED + 1))
}

# fail <title> [details file]: the file's first 150 lines follow, indented, when it is not empty
# (valgrind logs can be long).
fail() {
	echo "FAIL - $1"
	if [ -n "${2:-}" ] && [ -s "$2" ]; then
		sed 's/^/#   /' "$2" | head -n 150
	fi
	FAILED=$((FAILED + 1))
}

skip() {
	echo "skip - $1"
}

# check <title> <command...>: passes when the command succeeds.
check() {
	local title="$1"
	shift
	if "$@"; then pass "$title"; else fail "$title"; fi
}

# report_summary: the counts; the exit status is non-zero when a check failed.
report_summary() {
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
}
