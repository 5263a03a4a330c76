# Shared by tests/run-examples.sh and tests/run-examples-rpc.sh (sourced): parsing of the
# spec's example-output files (`+ <command>` / expected lines / `[exit N]` blocks).
#
# The blocks run with the noop plugin, from the second `+ mbench 1 example.jpg` with the mbench
# plugin, from the second `+ exec libmytestlib.so 1` with the exec plugin (and
# VACCEL_EXEC_DLCLOSE_ENABLED=1): the order in which the spec's data files were recorded.

# parse_blocks <spec file> <out dir>: writes <out>/NNN.cmd (the command), NNN.exp (the expected
# lines), NNN.rc (the expected exit status) and NNN.plugin (noop, mbench or exec).
parse_blocks() {
	local file="$1" out="$2"
	mkdir -p "$out"
	awk -v out="$out" '
		function fname(ext) { return sprintf("%s/%03d.%s", out, n, ext) }
		/^\+ / {
			if (n > 0 && !closed) { print "block " n " has no [exit N] line" > "/dev/stderr"; bad = 1 }
			n++; closed = 0
			print substr($0, 3) > fname("cmd"); close(fname("cmd"))
			printf "" > fname("exp")
			next
		}
		/^\[exit [0-9]+\]$/ && n > 0 && !closed {
			rc = $0; gsub(/[^0-9]/, "", rc)
			print rc > fname("rc"); close(fname("rc"))
			close(fname("exp")); closed = 1
			next
		}
		{
			if (n == 0 || closed) { print "stray line " NR ": " $0 > "/dev/stderr"; bad = 1; next }
			print >> fname("exp")
		}
		END {
			if (n > 0 && !closed) { print "last block has no [exit N] line" > "/dev/stderr"; bad = 1 }
			exit bad
		}
	' "$file"

	local plugin=noop n_mbench=0 n_exec=0 cmd f
	for f in "$out"/*.cmd; do
		cmd="$(cat "$f")"
		if [ "$cmd" = "mbench 1 example.jpg" ]; then
			n_mbench=$((n_mbench + 1))
			[ "$n_mbench" -eq 2 ] && plugin=mbench
		fi
		if [ "$cmd" = "exec libmytestlib.so 1" ]; then
			n_exec=$((n_exec + 1))
			[ "$n_exec" -eq 2 ] && plugin=exec
		fi
		echo "$plugin" > "${f%.cmd}.plugin"
	done
}

# plugin_env <plugin>: the environment (one VAR=value a line) that loads <plugin> locally.
plugin_env() {
	echo "VACCEL_PLUGINS=libvaccel-$1.so"
	if [ "$1" = exec ]; then
		echo "VACCEL_EXEC_DLCLOSE_ENABLED=1"
	fi
}
