#!/usr/bin/env bash
# Capture real RFB handshakes for tests/unit/fixtures/rfb/ (loopback only).
#
# Needs root, libvirt-daemon-system, libvirt-clients, qemu-system-x86,
# tigervnc-standalone-server, x11vnc, openssh-server.
#
# Servers (all on 127.0.0.1, stopped on exit):
#   QEMU's VNC server in two disk-less libvirt guests (no auth, VNC auth),
#   Xtigervnc with VncAuth, with None, with its default security types,
#   x11vnc advertising 3.3 (no auth and VNC auth), 3.7, 3.889 (the Apple
#   number) and its own 3.8, an sshd on a high port (a non-RFB banner), and
#   TigerVNC's blacklist, which refuses a client after failed logins.
#
# The VNC password below protects throw-away loopback servers; the capture
# client never sends it (the blacklist is triggered with zero-filled
# responses to the VNC-auth challenge).
#
# Usage: sudo tools/capture-fixtures/rfb/rfb-fixtures.sh [OUTDIR]
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
OUT=${1:-$ROOT/tests/unit/fixtures/rfb}
V=(virsh -c qemu:///system)
CAP=(python3 "$HERE/rfb_capture.py" "$OUT")
TMP=$(mktemp -d /tmp/novaops-rfb.XXXXXX)
GUESTS=(novaops-fx-vnc novaops-fx-vncauth)
# shellcheck source=tools/capture-fixtures/servers.sh
. "$HERE/../servers.sh"

cleanup_more() {
    for d in "${GUESTS[@]}"; do
        "${V[@]}" destroy --domain "$d" >/dev/null 2>&1
        "${V[@]}" undefine --domain "$d" >/dev/null 2>&1
    done
}
trap stop_servers EXIT

ensure_daemons() {
    if ! "${V[@]}" uri >/dev/null 2>&1; then
        pgrep -x virtlogd >/dev/null || virtlogd -d
        pgrep -x libvirtd >/dev/null || libvirtd -d
        for _ in $(seq 50); do "${V[@]}" uri >/dev/null 2>&1 && break; sleep 0.2; done
    fi
}

mkdir -p "$OUT"
x11vnc -storepasswd nvofixtr "$TMP/passwd" >/dev/null 2>&1

# --- QEMU (via libvirt) ---
ensure_daemons
for d in "${GUESTS[@]}"; do
    "${V[@]}" define "$HERE/domains/$d.xml" >/dev/null
    "${V[@]}" start --domain "$d" >/dev/null
done
wait_port 5981
wait_port 5982
QEMU=$(qemu-system-x86_64 --version | sed -n 1p)
"${CAP[@]}" qemu-none 5981 3.8 "$QEMU, libvirt <graphics type='vnc' listen='127.0.0.1'/>"
"${CAP[@]}" qemu-vncauth 5982 3.8 "$QEMU, libvirt <graphics type='vnc' passwd=.../>"
"${CAP[@]}" qemu-none-reply33 5981 3.3 "$QEMU, no auth, answered with 3.3 (a 3.3 client)"

# --- TigerVNC ---
TIGER=$(Xtigervnc -version 2>&1 | grep -m1 TigerVNC)
bg x31 Xtigervnc :31 -rfbport 5991 -localhost -SecurityTypes VncAuth -PasswordFile "$TMP/passwd" \
    -BlacklistThreshold 2 -BlacklistTimeout 60
bg x32 Xtigervnc :32 -rfbport 5992 -localhost -SecurityTypes None
bg x33 Xtigervnc :33 -rfbport 5993 -localhost -PasswordFile "$TMP/passwd"
wait_port 5991
wait_port 5992
wait_port 5993
"${CAP[@]}" tigervnc-vncauth 5991 3.8 "$TIGER, -SecurityTypes VncAuth -PasswordFile"
"${CAP[@]}" tigervnc-none 5992 3.8 "$TIGER, -SecurityTypes None"
"${CAP[@]}" tigervnc-default 5993 3.8 "$TIGER, default -SecurityTypes (VeNCrypt + VncAuth)"
"${CAP[@]}" tigervnc-refused-3.8 5992 4.0 "$TIGER, -SecurityTypes None" \
    "Real 3.7/3.8-format refusal (0 security types + reason). Provoked by answering 4.0, which TigerVNC refuses; the module itself never sends 4.0."

# Blacklist: failed VNC-auth attempts (zero-filled responses, no password)
# until TigerVNC answers with its refusal (it may also count an aborted
# handshake as a failure, so the number of attempts varies).
python3 - 5991 <<'EOF'
import socket, sys
for _ in range(10):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5)
    s.settimeout(5)
    try:
        if s.recv(12) != b"RFB 003.008\n":
            break             # the blacklist greeting (3.3 + refusal)
        s.sendall(b"RFB 003.008\n")
        s.recv(2)             # 1 type: VNC Authentication
        s.sendall(b"\x02")
        s.recv(16)            # challenge
        s.sendall(b"\0" * 16)
        s.recv(64)            # SecurityResult: failed + reason
    except OSError:
        break
    finally:
        s.close()
else:
    sys.exit("TigerVNC did not blacklist 127.0.0.1")
EOF
"${CAP[@]}" tigervnc-blacklisted 5991 3.3 "$TIGER, -BlacklistThreshold 2, after two failed VNC-auth attempts" \
    "TigerVNC sends greeting 3.3, security type 0 and the reason at once, then closes, without waiting for the client's version."

# --- x11vnc (libvncserver) on the None display :32 ---
X11VNC=$(x11vnc -version 2>/dev/null | tail -n1)
x11() { # port rfbversion extra-args...
    local port=$1 ver=$2
    shift 2
    bg "x11vnc-$port" x11vnc -display :32 -rfbport "$port" -localhost -noipv6 -rfbversion "$ver" "$@" -forever -shared -q
}
x11 5994 3.3 -nopw
x11 5995 3.3 -rfbauth "$TMP/passwd"
x11 5996 3.7 -nopw
x11 5997 3.889 -nopw
x11 5998 3.8 -nopw
for p in 5994 5995 5996 5997 5998; do wait_port "$p"; done
"${CAP[@]}" x11vnc-3.3-none 5994 3.3 "$X11VNC, -rfbversion 3.3 -nopw"
"${CAP[@]}" x11vnc-3.3-vncauth 5995 3.3 "$X11VNC, -rfbversion 3.3 -rfbauth" \
    "3.3 with VNC auth: the u32 type 2 is followed at once by the 16-byte challenge."
"${CAP[@]}" x11vnc-3.7-none 5996 3.7 "$X11VNC, -rfbversion 3.7 -nopw"
"${CAP[@]}" x11vnc-3.889-none 5997 3.3 "$X11VNC, -rfbversion 3.889 -nopw (the version Apple Remote Desktop announces)" \
    "An unknown minor version is treated as 3.3 (RFB spec), so the client answers 3.3."
"${CAP[@]}" x11vnc-3.8-none 5998 3.8 "$X11VNC, -nopw"

# --- a non-RFB server: sshd on a high loopback port ---
mkdir -p /run/sshd
ssh-keygen -q -t ed25519 -N '' -f "$TMP/hostkey"
bg sshd /usr/sbin/sshd -D -e -f /dev/null -h "$TMP/hostkey" -p 22922 \
    -o ListenAddress=127.0.0.1 -o PidFile=none
wait_port 22922
"${CAP[@]}" ssh-banner 22922 none "$(/usr/sbin/sshd -V 2>&1 | sed -n 1p) on 127.0.0.1:22922" \
    "Not RFB: the client sends nothing and records the banner."

stop_servers
trap - EXIT
