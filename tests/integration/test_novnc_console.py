"""tools/novnc_console.py against a real noVNC, websockify and QEMU on localhost.

Debian's websockify serves Debian's noVNC 1.3.0 (/usr/share/novnc, where
vnc_auto.html is vnc.html) in front of a QEMU guest without a disk: SeaBIOS
prints "No bootable device" on its VGA text console. Headless Chromium opens
the console URL, clicks noVNC's Connect button, and tesseract must read that
text; a websockify whose VNC server is not listening must leave noVNC
unconnected, with the status noVNC shows and no trace of the console token.
No Nova and no test bed: this is the browser half of the bed's console tests.

Needs Debian's chromium chromium-driver websockify novnc qemu-system-x86
tesseract-ocr tesseract-ocr-eng (and selenium in the venv); skipped, saying
which, when one is missing.
"""

import os
import shutil
import socket
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOL = os.path.join(ROOT, "tools", "novnc_console.py")
sys.path.insert(0, os.path.dirname(TOOL))

import novnc_console  # noqa: E402  pylint: disable=wrong-import-position

NOVNC = "/usr/share/novnc"
TOKEN = "0f6bd5a1-7c1e-4c57-9f1f-5ec4e7c0de42"  # Nova's tokens are UUIDs
NEEDS = {
    "chromium": novnc_console.CHROMIUM, "chromium-driver": novnc_console.CHROMEDRIVER,
    "websockify": "websockify", "novnc": os.path.join(NOVNC, "vnc.html"),
    "qemu-system-x86": "qemu-system-x86_64", "tesseract-ocr": "tesseract",
}


def _missing():
    missing = [package for package, path in NEEDS.items() if not (os.path.exists(path) or shutil.which(path))]
    if "tesseract-ocr" not in missing:
        langs = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, check=False).stdout
        if "eng" not in langs.split():
            missing.append("tesseract-ocr-eng")
    try:
        import selenium  # noqa: F401  pylint: disable=import-outside-toplevel,unused-import
    except ImportError:
        missing.append("selenium (pip, in the venv)")
    return missing


MISSING = _missing()
# `make integration` installs them: under CI a missing one fails, never skips
pytestmark = pytest.mark.skipif(bool(MISSING) and os.environ.get("CI") != "true",
                                reason="needs %s (apt-get install chromium chromium-driver websockify novnc "
                                       "qemu-system-x86 tesseract-ocr tesseract-ocr-eng)" % ", ".join(MISSING))


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_listening(port, process, log, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "exited early: %s" % log.read_text()
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError("nothing listens on 127.0.0.1:%s after %ss: %s" % (port, timeout, log.read_text()))


def _browser_processes():
    """Processes still running with a profile of novnc_console's (its temporary directories' prefix)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as handle:
                if b"novnc-console-" in handle.read():
                    found.append(int(pid))
        except OSError:
            pass
    return found


@pytest.fixture(scope="module")
def novnc(tmp_path_factory):
    """{"guest": base URL of a noVNC in front of QEMU, "closed": one in front of a port nobody listens on}."""
    tmp = tmp_path_factory.mktemp("novnc")
    sock = str(tmp / "vnc.sock")
    processes, urls = [], {}
    try:
        log = tmp / "qemu.log"
        with open(log, "w", encoding="utf-8") as out:
            processes.append(subprocess.Popen(  # pylint: disable=consider-using-with
                ["qemu-system-x86_64", "-display", "none", "-vnc", "unix:" + sock, "-nodefaults", "-vga", "std", "-m", "64"],
                stdout=out, stderr=subprocess.STDOUT))
        targets = {"guest": ["--unix-target", sock], "closed": ["127.0.0.1:%d" % _free_port()]}
        for name, target in targets.items():
            port, log = _free_port(), tmp / ("websockify-%s.log" % name)
            with open(log, "w", encoding="utf-8") as out:
                processes.append(subprocess.Popen(  # pylint: disable=consider-using-with
                    ["websockify", "--web", NOVNC, "127.0.0.1:%d" % port] + target, stdout=out, stderr=subprocess.STDOUT))
            _wait_listening(port, processes[-1], log)
            urls[name] = "http://127.0.0.1:%d/" % port
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_connects_and_reads_the_guest_screen(novnc, tmp_path):
    # Nova's URL shape: vnc_auto.html, no autoconnect: the tool clicks Connect.
    shot = tmp_path / "console.png"
    result = novnc_console.open_console(novnc["guest"] + "vnc_auto.html?path=websockify", screenshot=str(shot),
                                        expect=["No bootable device"], timeout=30)
    assert result.ok, result.as_dict()
    assert result.connected and result.page == "vnc.html" and result.clicked_connect
    assert result.status.startswith("Connected (unencrypted) to QEMU"), result.status
    assert result.canvas_size == (720, 400)  # VGA text mode, 80x25
    assert "SeaBIOS" in result.ocr_text or "No bootable device" in result.ocr_text, result.ocr_text
    assert shot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") and result.screenshot == str(shot)
    assert result.elapsed < 30
    assert not _browser_processes()


def test_vnc_server_not_listening(novnc, tmp_path):
    url = novnc["closed"] + "vnc_auto.html?path=%3Ftoken%3D" + TOKEN
    result = novnc_console.open_console(url, screenshot=str(tmp_path / "failed.png"), expect=["No bootable device"], timeout=20)
    assert not result.connected and result.failed == "connect"
    assert result.status == "Failed to connect to server"
    assert "Failed to connect to downstream server" in result.detail  # websockify's close reason (code 1011)
    assert "Failed to connect to server" in result.error and "never connected" in result.error
    assert TOKEN[:8] not in repr(result.as_dict())
    assert "token%3D***" in result.url
    assert not _browser_processes()


def test_cli_vnc_lite_connects_and_reads(novnc, tmp_path):
    # The bed's nova.conf points novncproxy_base_url at vnc_lite.html: it connects by itself.
    shot = tmp_path / "lite.png"
    run = subprocess.run([sys.executable, TOOL, novnc["guest"] + "vnc_lite.html?path=websockify", "--screenshot", str(shot),
                          "--expect", "No bootable device", "--timeout", "30"], capture_output=True, text=True, check=False, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "connected, status 'Connected to QEMU" in run.stdout and "expected 'No bootable device': read" in run.stdout
    assert shot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert not _browser_processes()


def test_cli_vnc_lite_not_connected(novnc, tmp_path):
    url = novnc["closed"] + "vnc_lite.html?path=%3Ftoken%3D" + TOKEN
    run = subprocess.run([sys.executable, TOOL, url, "--screenshot", str(tmp_path / "lite.png"), "--timeout", "20"],
                         capture_output=True, text=True, check=False, timeout=60)
    assert run.returncode == novnc_console.EXIT_CODES["connect"], run.stdout + run.stderr
    assert "FAILED (connect): noVNC never connected" in run.stderr
    assert "Something went wrong, connection is closed" in run.stderr  # vnc_lite's words for any unclean close
    assert TOKEN[:8] not in run.stdout + run.stderr and "token%3D***" in run.stdout
    assert (tmp_path / "lite.png").exists()
    assert not _browser_processes()


@pytest.mark.parametrize("url", [
    "http://h:6080/vnc_auto.html?path=%3Ftoken%3D" + TOKEN,
    "http://h:6080/vnc_auto.html?path=%253Ftoken%253D" + TOKEN,
    "http://h:6080/vnc_lite.html?path=?token=" + TOKEN + "&scale=true",
    "http://h:6080/vnc.html?autoconnect=1#path=%3Ftoken%3D" + TOKEN,
])
def test_mask_hides_the_token(url):
    secrets = novnc_console.url_secrets(url)
    assert TOKEN in secrets
    for text in (url, "WebSocket connection to 'ws://h:6080/?token=%s' failed" % TOKEN, "token %s expired" % TOKEN):
        masked = novnc_console.mask(text, secrets)
        assert "***" in masked and not any(part in masked for part in TOKEN.split("-"))


def test_expected_text_tolerates_ocr_errors_but_not_another_text():
    read = "NOWAOPS GUEST\ninstance\n6f ic2aBe-3b4d\u20144e5f -IaOb\u2014-1c2d3e4f 5abb\n"
    assert novnc_console.missing_texts([read], ["NOVAOPS GUEST", "instance 6f1c2a8e-3b4d-4e5f-9a0b-1c2d3e4f5a6b"]) == []
    assert novnc_console.missing_texts([read], ["instance 7e2d3b9f-4c5e-5f60-ab1c-2d3e4f5a6b7c"]) != []
    assert novnc_console.missing_texts([read], ["NOVAOPS HOST"]) == ["NOVAOPS HOST"]
