# Shared by tests/run-examples-rpc.sh and tests/run-cpu-plugin.sh (sourced): watching and
# stopping an agent started in the background. Uses AGENT_PID (the agent's pid) and
# AGENT_TIMEOUT (seconds to wait for it).

# alive <pid>: the process exists and is not a zombie (an exited child stays a zombie until
# waited for, and kill -0 still succeeds on it).
alive() {
	local state
	state="$(awk '{ print $3 }' "/proc/$1/stat" 2> /dev/null)" || return 1
	[ -n "$state" ] && [ "$state" != Z ]
}

# stop_agent: SIGTERM, then a bounded wait and SIGKILL past it; sets AGENT_RC (the exit status,
# or "killed after <n>s") and clears AGENT_PID.
stop_agent() {
	AGENT_RC=0
	kill -TERM "$AGENT_PID" 2> /dev/null || true
	local deadline=$((SECONDS + AGENT_TIMEOUT))
	while alive "$AGENT_PID" && [ "$SECONDS" -lt "$deadline" ]; do
		sleep 0.05
	done
	local timed_out=0
	if alive "$AGENT_PID"; then
		kill -KILL "$AGENT_PID" 2> /dev/null || true
		timed_out=1
	fi
	wait "$AGENT_PID" 2> /dev/null || AGENT_RC=$?
	[ "$timed_out" = 0 ] || AGENT_RC="killed after ${AGENT_TIMEOUT}s"
	AGENT_PID=""
}
