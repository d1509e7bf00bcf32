#!/usr/bin/env bash
# Capture console-proxy sessions for tests/unit/fixtures/websocket/ (loopback only).
#
# Needs: websockify (Debian 12: 0.10, the library under nova-novncproxy),
# novnc, qemu-system-x86, openssh-server (sshd is started on a high port, as
# a non-VNC server), openssl, python3-oslo.log and python3-oslo.utils (for the
# Nova harness), and a Nova checkout (default /work/.mirror/openstack+nova/repo,
# or NOVA_GIT=...) to take nova/console/websocketproxy.py of NOVA_REF (26.2.2).
#
# Proxies (all on 127.0.0.1 or ::1, stopped on exit), each in front of
#   a QEMU VNC server (-vnc 127.0.0.1:7 = port 5907, no auth),
#   a closed port, an sshd banner, a listener that hangs up at once, a
#   listener that never speaks:
# websockify itself (no token check), websockify --ssl-only with a
# self-signed certificate, websockify with a TokenFile token plugin, a plain
# web server where the proxy should be, and Nova 26.2.2's own
# NovaProxyRequestHandler on websockify with its database and RPC stubbed
# (nova_proxy_harness.py; those captures are marked derived).
#
# Usage: tools/capture-fixtures/websocket/ws-fixtures.sh [OUTDIR]
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
OUT=${1:-$ROOT/tests/unit/fixtures/websocket}
NOVA_GIT=${NOVA_GIT:-/work/.mirror/openstack+nova/repo}
NOVA_REF=${NOVA_REF:-26.2.2}
TMP=$(mktemp -d /tmp/novaops-ws.XXXXXX)
# a made-up console token: no proxy here knows it except the TokenFile one
TOKEN=$(python3 -c 'import uuid; print(uuid.uuid4())')
PY=/usr/bin/python3
# shellcheck source=tools/capture-fixtures/servers.sh
. "$HERE/../servers.sh"
trap stop_servers EXIT

capture() { # name url source [extra args...]
    local name=$1 url=$2 source=$3
    shift 3
    printf '%s\n' "$url" | $PY "$HERE/ws_capture.py" --url - --name "$name" --out "$OUT" --source "$source" "$@"
}

page() { # port [host]: the URL Nova 26 hands out, for a proxy on host:port
    printf 'http://%s:%s/vnc_auto.html?path=%%3Ftoken%%3D%s' "${2:-127.0.0.1}" "$1" "$TOKEN"
}

mkdir -p "$OUT"
WSVER="websockify $(dpkg-query -W -f='${Version}' websockify 2>/dev/null || echo '?')"
QEMU=$(qemu-system-x86_64 --version | sed -n 1p)

# --- the targets ---
bg qemu qemu-system-x86_64 -display none -vnc 127.0.0.1:7 -nodefaults -vga std -m 64
mkdir -p /run/sshd
ssh-keygen -q -t ed25519 -N '' -f "$TMP/hostkey"
bg sshd /usr/sbin/sshd -D -e -f /dev/null -h "$TMP/hostkey" -p 22923 -o ListenAddress=127.0.0.1 -o PidFile=none
bg hangup $PY -c '
import socket
s = socket.create_server(("127.0.0.1", 5911))
while True:
    s.accept()[0].close()'
bg silent $PY -c '
import socket, time
s = socket.create_server(("127.0.0.1", 5912))
held = []
while True:
    held.append(s.accept()[0])'
mkdir -p "$TMP/www"
echo '<html>not noVNC</html>' >"$TMP/www/index.html"
bg www $PY -m http.server --bind 127.0.0.1 --directory "$TMP/www" 6188
for p in 5907 22923 5911 5912 6188; do wait_port "$p"; done

# --- websockify 0.10 in front of them ---
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$TMP/proxy.pem" -out "$TMP/proxy.pem" 2>/dev/null
echo "$TOKEN: 127.0.0.1:5907" >"$TMP/tokens"
bg ws-ok websockify --web /usr/share/novnc 127.0.0.1:6181 127.0.0.1:5907
bg ws-refused websockify 127.0.0.1:6182 127.0.0.1:5999
bg ws-ssh websockify 127.0.0.1:6183 127.0.0.1:22923
bg ws-hangup websockify 127.0.0.1:6184 127.0.0.1:5911
bg ws-silent websockify 127.0.0.1:6185 127.0.0.1:5912
bg ws-tls websockify --cert "$TMP/proxy.pem" --ssl-only 127.0.0.1:6186 127.0.0.1:5907
bg ws-tokens websockify --token-plugin TokenFile --token-source "$TMP/tokens" 127.0.0.1:6187
bg ws-v6 websockify '[::1]:6189' 127.0.0.1:5907
for p in 6181 6182 6183 6184 6185 6186 6187; do wait_port "$p"; done
wait_port ::1 6189

capture websockify-ok "$(page 6181)" "$WSVER, --web /usr/share/novnc, target $QEMU -vnc 127.0.0.1:7"
capture websockify-token-form-ok "http://127.0.0.1:6181/vnc_auto.html?token=$TOKEN" \
    "$WSVER, target $QEMU" --note "The older URL form (?token=): noVNC < 1.1 sends /websockify?token=."
capture websockify-wrong-path-ok "http://127.0.0.1:6181/vnc_lite.html?path=no/such/path%3Ftoken%3D$TOKEN" \
    "$WSVER, target $QEMU" --note "websockify upgrades whatever the path (websocketserver.py _websocket_do_GET)."
capture websockify-ipv6-ok "$(page 6189 '[::1]')" "$WSVER on [::1]:6189, target $QEMU"
capture websockify-target-refused "$(page 6182)" "$WSVER, target 127.0.0.1:5999 (closed port)"
capture websockify-target-ssh "$(page 6183)" "$WSVER, target $(/usr/sbin/sshd -V 2>&1 | sed -n 1p) on 127.0.0.1:22923"
capture websockify-target-hangup "$(page 6184)" "$WSVER, target a listener that closes each connection at once"
capture websockify-target-silent "$(page 6185)" "$WSVER, target a listener that accepts and never sends" --timeout 2
capture websockify-wss-ok "https://127.0.0.1:6186/vnc_auto.html?path=%3Ftoken%3D$TOKEN" \
    "$WSVER --cert (self-signed) --ssl-only, target $QEMU" --ca-path "$TMP/proxy.pem"
capture websockify-ssl-only-plain "$(page 6186)" "$WSVER --ssl-only, reached with http://" \
    --note "websockifyserver.py do_handshake: EClose('non-SSL connection received but disallowed'), no HTTP answer."
capture websockify-tls-to-plain "https://127.0.0.1:6182/vnc_auto.html?path=%3Ftoken%3D$TOKEN" \
    "$WSVER without a certificate, reached with https://" --insecure
capture websockify-tokenfile-ok "$(page 6187)" "$WSVER --token-plugin TokenFile (the token is in it), target $QEMU"
capture websockify-tokenfile-unknown \
    "http://127.0.0.1:6187/vnc_auto.html?path=%3Ftoken%3D00000000-0000-4000-8000-000000000000" \
    "$WSVER --token-plugin TokenFile (the token is not in it)" \
    --note "websocketproxy.py get_target: EClose(\"Token '...' not found\") before the 101: no HTTP answer."
capture web-server-not-proxy "$(page 6188)" "Python $($PY -c 'import sys; print(sys.version.split()[0])') http.server where the proxy should be"

# --- Nova's own proxy code (derived: database and RPC stubbed) ---
git -C "$NOVA_GIT" show "$NOVA_REF:nova/console/websocketproxy.py" >"$TMP/websocketproxy.py"
NOVA="nova $NOVA_REF nova/console/websocketproxy.py on $WSVER (tools/capture-fixtures/websocket/nova_proxy_harness.py)"
H=("$PY" "$HERE/nova_proxy_harness.py" "$TMP/websocketproxy.py")
bg nova-invalid "${H[@]}" 6190 invalid-token
bg nova-refused "${H[@]}" 6191 target 127.0.0.1:5999
bg nova-ok "${H[@]}" 6192 target 127.0.0.1:5907
bg nova-v6 "${H[@]}" '[::1]:6194' target 127.0.0.1:5907
for p in 6190 6191 6192; do wait_port "$p"; done
wait_port ::1 6194
DERIVED="Derived, to be replaced by a capture of a real nova-novncproxy: Nova's own request handler ran, with"
capture nova-26.2.2-invalid-token "$(page 6190)" "$NOVA; ConsoleAuthToken.validate raises InvalidToken" --derived \
    --note "$DERIVED ConsoleAuthToken.validate raising InvalidToken as for an unknown or expired token."
capture nova-26.2.2-target-refused "$(page 6191)" "$NOVA; the token is valid, target 127.0.0.1:5999 (closed)" \
    --derived --note "$DERIVED a valid token whose console address is a closed port (server_proxyclient_address = 127.0.0.1 on another host)."
capture nova-26.2.2-ok "$(page 6192)" "$NOVA; the token is valid, target $QEMU" --derived \
    --note "$DERIVED a valid token for a QEMU VNC server; the Origin check passed."
capture nova-26.2.2-ipv6-ok "$(page 6194 '[::1]')" "$NOVA on [::1]:6194; the token is valid, target $QEMU" --derived \
    --note "$DERIVED a valid token; the Origin check compares [::1] in Host and Origin."

stop_servers
trap - EXIT
