# Shared by the CLI tests: start `webhooks listen` / `webhooks serve` and wait until it listens.
#
# Each start gets its own fresh stderr file, so a line left by an earlier process is never read
# as the new one's (a reused file once let a test talk to a listener that was not up yet), and
# binds port 0 unless a port is given, so the system picks a free one (no collisions with
# another test) and the test reads it from the "listening on" / "API on" line.
#
#   wh_start BIN SUBCOMMAND OUTFILE PORT [ARGS...]   PORT 0: any free port
#   sets PID and PORT; OUTFILE gets stdout, OUTFILE.err.N the stderr of the N-th start
WH_STARTS=0
wh_start() {
    local bin=$1 name=$2 out=$3 want=$4; shift 4
    WH_STARTS=$((WH_STARTS + 1))
    local err="$out.err.$WH_STARTS" line
    for _ in 1 2 3 4 5; do
        : >"$err"
        "$bin" "$name" --listen "127.0.0.1:$want" "$@" >"$out" 2>"$err" &
        PID=$!
        for _ in $(seq 200); do
            line=$(grep -m1 -o -E '(listening on|API on) http://127\.0\.0\.1:[0-9]+/' "$err")
            if [ -n "$line" ]; then
                PORT=$(echo "$line" | sed -E 's#.*:([0-9]+)/$#\1#')
                return 0
            fi
            kill -0 "$PID" 2>/dev/null || break
            sleep 0.05
        done
        kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null
        [ "$want" = 0 ] || sleep 0.2 # a fixed port may still be held by the previous process
    done
    echo "FAIL: $name did not start: $(cat "$err")"
    return 1
}
