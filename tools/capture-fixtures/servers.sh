# shellcheck shell=bash
# Shared by the capture scripts that run throw-away servers on loopback
# (rfb/, websocket/): start each in the background and remember it, wait for
# its port, and stop every one on exit.  The sourcing script sets TMP (its
# scratch directory, removed on exit) and may define cleanup_more for
# anything else to undo.

PIDS=()

stop_servers() {
    local -
    set +e
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
    if declare -F cleanup_more >/dev/null; then cleanup_more; fi
    rm -rf "$TMP"
    return 0
}

bg() { # log-name command...: start a server in the background, remember its pid
    local log=$1
    shift
    "$@" >"$TMP/$log.log" 2>&1 &
    PIDS+=("$!")
}

wait_port() { # [address] port: until something accepts there (10 s at most)
    local address=127.0.0.1
    if [ $# -eq 2 ]; then address=$1; shift; fi
    for _ in $(seq 100); do
        if python3 -c "import socket,sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), 1).close()" \
            "$address" "$1" 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    echo "port $address:$1 did not open" >&2
    return 1
}
