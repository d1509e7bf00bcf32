"""Open a Nova noVNC console URL in headless Chromium, as the dashboard does, and prove what it shows.

    python tools/novnc_console.py URL --screenshot out.png [--expect TEXT ...] [--timeout S] [--json]

Exit status: 0 connected and every expected text read; 3 the page did not load
(HTTP error, refused, not a noVNC page); 4 noVNC did not connect (or lost the
connection); 5 connected but an expected text was not read; 6 the browser
failed; 2 bad arguments. The message on stderr says which, with noVNC's status.

The URL is what ``openstack console url show`` prints, e.g.
``http://10.89.77.10:6080/vnc_auto.html?path=%3Ftoken%3D<uuid>``. The page is
opened in headless Chromium driven by Selenium (Debian's chromium and
chromium-driver; Selenium Manager is never asked to download anything); the
tool waits for noVNC's "Connected" state, reads the guest's screen with
tesseract and saves a screenshot of the page. ``open_console()`` does the same
for Python callers and returns a ConsoleResult.

Debian's novnc 1.3.0 package ships ``vnc_auto.html`` as a symlink to the full
``vnc.html`` UI: without ``autoconnect=1`` in the URL that page opens a
Connect dialog and waits, so the tool clicks its Connect button, as a user of
the dashboard would. noVNC 1.3.0 shows its status:

- vnc.html (and so vnc_auto.html): ``#noVNC_status``, and the ``noVNC_connecting``
  / ``noVNC_connected`` classes on ``<html>``; "Connected (unencrypted) to
  QEMU (instance-00000001)" (shown 1.5 s, the text stays), "Failed to connect
  to server" when the WebSocket closes before the VNC handshake ends (the proxy
  cannot reach the VNC server, or refuses the token), "Something went wrong,
  connection is closed" when it closes later, "Disconnected" after a clean
  close, "New connection has been rejected ..." or "Credentials are required"
  when the VNC server wants what Nova's proxy should have negotiated;
- vnc_lite.html: ``#status``: "Loading", "Connecting", "Connected to QEMU ...",
  "Disconnected" (clean close), "Something went wrong, connection is closed"
  (any other close, before or after connecting);
- noVNC before 1.0 (vnc_auto.html of its own): ``#noVNC_status``.

noVNC logs why it failed to the browser console only, e.g. "Failed when
connecting: Connection closed (code: 1011, reason: Failed to connect to
downstream server)" from websockify, "... (code: 1006)" when the proxy drops
the socket without a close frame, as nova-novncproxy does on a bad token or an
unreachable VNC server: the tool reports such lines as ``detail``.

OCR: the canvas's own pixels (not the page screenshot) become black ink on
white (luma above OCR_THRESHOLD is ink; a 40-column screen is first halved in
width), are scaled up with nearest neighbour and read by ``tesseract --psm 6``
in the passes of OCR_PASSES, the later ones only while an expected text is
missing; some are limited to the characters of the expected texts. An
expected text is read when some substring of a pass differs from it by at
most ``tolerance`` x its length edits, after folding case, whitespace and the
look-alikes of the VGA font (O/0, I/l/1, S/5, Z/2, dashes): a UUID of the
bed's guest reads with 0-5 errors (6/b/G, 8/B, 9/I, 7/? stay confused),
another UUID is 25 or more away; the default tolerance 0.15 allows 5.

The console token is a secret: every URL, status, log line and error this tool
prints or returns is masked (``token=***``).
"""

import argparse
import base64
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from urllib.parse import unquote

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
TESSERACT = "tesseract"
# Running as root in a closed network: without the background-networking
# flags Chromium keeps trying to reach Google's services.
CHROMIUM_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--window-size=1280,800")
POLL = 0.25
# OCR passes, tried in order until every expected text is read: (x scale, y scale, alphabet). An alphabet pass
# lets tesseract choose only among the characters of the expected texts. Measured on the bed's guest image
# (80x25 VGA text): "NOVAOPS GUEST" and SeaBIOS's lines read exactly in the first pass. A UUID read with 0-4
# errors (8 of 20 boots exactly) in the first pass alone, 0-2 (14 of 20 exactly) with all four; end to end
# through noVNC, 12 of 12 boots passed on the first pass (0-5 errors, 4 exact), one more needed the second
# (7 errors, then 4). Another UUID is 25 or more errors away. Luma above OCR_THRESHOLD is ink (VGA grey is 170).
OCR_PASSES = ((2, 3, False), (2, 2, True), (2, 3, True), (2, 2, False))
OCR_THRESHOLD = 60
OCR_TOLERANCE = 0.15

# Exit codes of the CLI by what failed (2 is argparse's usage error).
EXIT_CODES = {None: 0, "page": 3, "connect": 4, "ocr": 5, "browser": 6}

_TOKEN_RE = re.compile(r"(token(?:=|%3D|%253D))[^&#\s'\"<>)]*", re.IGNORECASE)
_TOKEN_VALUE_RE = re.compile(r"token=([^&#\s'\"<>]+)", re.IGNORECASE)
# Characters tesseract confuses on the VGA font, folded to one of each pair.
_FOLD = str.maketrans({"o": "0", "i": "1", "l": "1", "|": "1", "!": "1", "s": "5", "z": "2",
                       "\u2014": "-", "\u2013": "-", "_": "-"})

# One probe of the page: which noVNC page it is, its connection state and status text.
_PROBE_JS = """
const byId = (id) => document.getElementById(id);
const text = (el) => (el ? el.textContent.trim() : '');
const html = document.documentElement.classList;
const nav = performance.getEntriesByType('navigation')[0];
let page = 'unknown', state = 'unknown', status = '';
if (byId('noVNC_status') && byId('noVNC_connect_button')) {
    page = 'vnc.html';
    status = text(byId('noVNC_status'));
    const open = (id) => byId(id) !== null && byId(id).classList.contains('noVNC_open');
    if (html.contains('noVNC_loading')) { state = 'loading'; }
    else if (html.contains('noVNC_connected')) { state = 'connected'; }
    else if (open('noVNC_credentials_dlg')) { state = 'credentials'; }
    else if (html.contains('noVNC_connecting') || html.contains('noVNC_reconnecting')
             || html.contains('noVNC_disconnecting')) { state = 'connecting'; }
    else if (status) { state = 'disconnected'; }
    else if (open('noVNC_connect_dlg')) { state = 'idle'; }
    else { state = 'loading'; }
} else if (byId('status') && byId('screen')) {
    page = 'vnc_lite.html';
    status = text(byId('status'));
    if (/^Connected/.test(status)) { state = 'connected'; }
    else if (status === 'Loading') { state = 'loading'; }
    else if (status === 'Connecting') { state = 'connecting'; }
    else { state = 'disconnected'; }
} else if (byId('noVNC_status')) {
    page = 'vnc_auto.html';
    status = text(byId('noVNC_status'));
    if (/^Connected/.test(status)) { state = 'connected'; }
    else if (/fail|disconnect|wrong|reject|error/i.test(status)) { state = 'disconnected'; }
    else { state = 'connecting'; }
}
return {page: page, state: state, status: status, title: document.title,
        http: nav && nav.responseStatus ? nav.responseStatus : null, location: document.location.href};
"""

# noVNC's screen (the largest canvas) as black ink on white, once per (x, y) scale, as PNG base64. A 40-column
# text mode doubles every pixel in width: such a screen is first halved, so both modes give the same letters.
_CANVAS_JS = """
const scales = arguments[0], threshold = arguments[1];
let src = null;
for (const c of document.querySelectorAll('canvas')) {
    if (c.width * c.height > (src ? src.width * src.height : 0)) { src = c; }
}
if (src === null || src.width === 0 || src.height === 0) { return null; }
const w = src.width, h = src.height;
const d = src.getContext('2d').getImageData(0, 0, w, h).data;
const on = new Uint8Array(w * h);
let ink = 0;
for (let p = 0; p < w * h; p++) {
    on[p] = 0.299 * d[4 * p] + 0.587 * d[4 * p + 1] + 0.114 * d[4 * p + 2] > threshold ? 1 : 0;
    ink += on[p];
}
let doubled = w % 2 === 0;
for (let p = 0; doubled && p < w * h; p += 2) { doubled = on[p] === on[p + 1]; }
const step = doubled ? 2 : 1, nw = w / step;
const base = document.createElement('canvas');
base.width = nw; base.height = h;
const bctx = base.getContext('2d'), img = bctx.createImageData(nw, h);
for (let y = 0; y < h; y++) {
    for (let x = 0; x < nw; x++) {
        const v = on[y * w + x * step] ? 0 : 255, q = 4 * (y * nw + x);
        img.data[q] = img.data[q + 1] = img.data[q + 2] = v;
        img.data[q + 3] = 255;
    }
}
bctx.putImageData(img, 0, 0);
const images = {};
scales.forEach(([sx, sy]) => {
    const out = document.createElement('canvas');
    out.width = Math.round(nw * sx); out.height = Math.round(h * sy);
    const octx = out.getContext('2d');
    octx.imageSmoothingEnabled = false;
    octx.drawImage(base, 0, 0, out.width, out.height);
    images[sx + 'x' + sy] = out.toDataURL('image/png').split(',')[1];
});
return {images: images, width: w, height: h, ink: ink, doubled: doubled};
"""


class ConsoleResult:  # pylint: disable=too-many-instance-attributes,too-few-public-methods
    """What the browser showed. ``failed`` is None, "browser", "page", "connect" or "ocr"."""

    def __init__(self, url):
        self.url = url              # masked
        self.connected = False
        self.status = ""            # noVNC's status text, as the page showed it
        self.title = ""
        self.page = ""              # vnc.html, vnc_lite.html, vnc_auto.html (noVNC < 1.0) or unknown
        self.http_status = None
        self.clicked_connect = False
        self.screenshot = None
        self.canvas_size = None     # (width, height) of the guest's screen
        self.ocr_text = ""          # the guest's screen as the first (unlimited) OCR pass read it
        self.ocr_errors = {}        # {expected text: fewest OCR errors found}
        self.ocr_passes = 0         # how many OCR passes the last frame needed (see OCR_PASSES)
        self.ocr_constrained = False  # whether a pass limited to the expected texts' characters was needed
        self.missing = []           # expected texts not read within the tolerance
        self.detail = ""            # noVNC's own log line about a failure
        self.failed = None
        self.error = ""
        self.elapsed = 0.0

    @property
    def ok(self):
        return self.failed is None

    def as_dict(self):
        return dict(vars(self), ok=self.ok)


def url_secrets(url):
    """The console token(s) in a URL, raw and percent-encoded, however deeply nested (path=%3Ftoken%3D...)."""
    found, text, previous = set(), url, None
    while text != previous:
        for value in _TOKEN_VALUE_RE.findall(text):
            found.update((value, unquote(value)))
        previous, text = text, unquote(text)
    return sorted((value for value in found if value), key=len, reverse=True)


def mask(text, secrets=()):
    """Text with every console token replaced by ***: the known values anywhere, and whatever follows token=."""
    text = "" if text is None else str(text)
    for secret in secrets:
        text = text.replace(secret, "***")
    return _TOKEN_RE.sub(r"\1***", text)


def fold(text):
    """Text as compared with an expected one: lower case, no whitespace, OCR's look-alikes folded."""
    return "".join(text.lower().split()).translate(_FOLD)


def match_errors(pattern, text):
    """The fewest edits (insert, delete, substitute) that turn some substring of text into pattern (Sellers)."""
    if not pattern:
        return 0
    column = list(range(len(pattern) + 1))
    best = column[-1]
    for char in text:
        previous, column[0] = column[0], 0
        for i, wanted in enumerate(pattern, 1):
            previous, column[i] = column[i], min(column[i] + 1, column[i - 1] + 1, previous + (wanted != char))
        best = min(best, column[-1])
    return best


def allowed_errors(expected, tolerance=OCR_TOLERANCE):
    """How many OCR errors an expected text may carry: a fraction of its folded length, rounded down."""
    return int(len(fold(expected)) * tolerance)


def read_errors(ocr_texts, expected):
    """{expected text: fewest OCR errors in any of the texts read} (see fold() and match_errors())."""
    folded = [fold(text) for text in ocr_texts]
    return {text: min([match_errors(fold(text), read) for read in folded] or [len(fold(text))]) for text in expected}


def missing_texts(ocr_texts, expected, tolerance=OCR_TOLERANCE):
    """The expected texts that none of the OCR texts carries within the allowed errors."""
    errors = read_errors(ocr_texts, expected)
    return [text for text in expected if errors[text] > allowed_errors(text, tolerance)]


def ocr_png(png_path, timeout=30, alphabet=""):
    """(text, error) of tesseract on one image: block of text mode, English, only the alphabet's characters if given."""
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    argv = [TESSERACT, png_path, "stdout", "-l", "eng", "--psm", "6"]
    if alphabet:
        argv += ["-c", "tessedit_char_whitelist=" + alphabet]
    try:
        result = subprocess.run(argv, env=env,
                                capture_output=True, text=True, timeout=timeout, check=False)
    except FileNotFoundError:
        return "", "tesseract is not installed (Debian: tesseract-ocr tesseract-ocr-eng)"
    except subprocess.TimeoutExpired:
        return "", "tesseract took more than %ss" % timeout
    if result.returncode != 0:
        return "", "tesseract failed (rc %s): %s" % (result.returncode, result.stderr.strip()[-300:])
    return result.stdout, ""


def _descendants(pid):
    """PIDs (with start times) of the processes below pid, from /proc."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        stat = _stat(int(entry))
        if stat:
            children.setdefault(stat[0], []).append((int(entry), stat[1]))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child[0])
    return found


def _stat(pid):
    """(parent pid, start time) of a process, or None when it is gone (or a zombie: it has exited)."""
    try:
        with open("/proc/%d/stat" % pid, encoding="utf-8", errors="replace") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return None if fields[0] in ("Z", "X") else (int(fields[1]), fields[19])


def _mentioning(workdir):
    """PIDs (with start times) of processes whose command line names our private directory.

    Chromium's crashpad handlers leave the process tree (their parent is
    init); their --database is under our HOME, so they are found here.
    """
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % entry, "rb") as handle:
                cmdline = handle.read()
        except OSError:
            continue
        stat = _stat(int(entry))
        if workdir.encode() in cmdline and stat:
            found.append((int(entry), stat[1]))
    return found


def _reap(processes, grace=3.0):
    """SIGTERM then SIGKILL the listed processes still alive (same PID and start time)."""
    def alive():
        return [pid for pid, start in processes if (_stat(pid) or (None, None))[1] == start]

    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in alive():
            try:
                os.kill(pid, sig)
            except OSError:
                pass
        deadline = time.monotonic() + grace
        while alive() and time.monotonic() < deadline:
            time.sleep(0.05)


class _Browser:
    """Headless Chromium + chromedriver in a private profile; close() leaves no process behind."""

    def __init__(self, workdir, chromium=CHROMIUM, chromedriver=CHROMEDRIVER):
        # Imported here so that the masking helpers work without selenium.
        from selenium import webdriver  # pylint: disable=import-outside-toplevel
        from selenium.webdriver.chrome.service import Service  # pylint: disable=import-outside-toplevel

        self.workdir = workdir
        options = webdriver.ChromeOptions()
        options.binary_location = chromium
        for flag in CHROMIUM_FLAGS + ("--user-data-dir=" + os.path.join(workdir, "profile"),):
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        options.set_capability("unhandledPromptBehavior", "dismiss and notify")
        # Chromium writes dconf, PulseAudio and crashpad data under HOME and XDG_*: keep them in our directory.
        home = os.path.join(workdir, "home")
        env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=os.path.join(home, ".config"), XDG_CACHE_HOME=os.path.join(home, ".cache"))
        self.service = Service(executable_path=chromedriver, log_output=os.path.join(workdir, "chromedriver.log"), env=env)
        self.driver = None
        try:
            self.driver = webdriver.Chrome(service=self.service, options=options)
        except Exception:  # pylint: disable=broad-except
            self.close()
            raise

    def close(self):
        processes = []
        process = getattr(self.service, "process", None)
        if process is not None and process.poll() is None:
            processes = [(process.pid, (_stat(process.pid) or (None, None))[1])] + _descendants(process.pid)
        try:
            if self.driver is not None:
                self.driver.quit()
            else:
                self.service.stop()
        except Exception:  # pylint: disable=broad-except
            pass  # whatever quit() left is killed below
        _reap(processes + _mentioning(self.workdir))


def _log_tail(path, secrets, lines=3):
    """The last lines of a log (chromedriver's), masked, on one line."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            tail = handle.read().strip().splitlines()[-lines:]
    except OSError:
        return ""
    return mask(" | ".join(tail), secrets)


def _first_line(exc):
    text = getattr(exc, "msg", None) or str(exc)
    return (text.strip().splitlines() or [type(exc).__name__])[0]


def _novnc_detail(driver, secrets):
    """noVNC's own words about a failure, from the browser console (masked)."""
    try:
        entries = driver.get_log("browser")
    except Exception:  # pylint: disable=broad-except
        return ""
    lines = []
    for entry in entries:
        message = entry.get("message", "")
        if entry.get("level") not in ("SEVERE", "WARNING") or re.search(r"package\.json|favicon\.ico", message):
            continue  # Debian's vnc.html asks for a package.json it does not ship
        quoted = re.search(r'"(.*)"\s*$', message)
        message = quoted.group(1) if quoted else message
        if re.search(r"fail|closed|reject|disconnect|error|security", message, re.IGNORECASE):
            lines.append(mask(message.replace('\\"', '"'), secrets))
    return " | ".join(dict.fromkeys(lines))


def _probe(driver):
    return driver.execute_script(_PROBE_JS) or {}


def _update(result, state):
    result.page = state.get("page", "")
    result.status = state.get("status", "")
    result.title = state.get("title", "")
    result.http_status = state.get("http")


def _wait_connected(driver, result, deadline):
    """Poll the page until noVNC connects or gives up; click Connect where the page waits for it."""
    from selenium.common.exceptions import UnexpectedAlertPresentException  # pylint: disable=import-outside-toplevel
    state = {}
    while True:
        try:
            state = _probe(driver)
        except UnexpectedAlertPresentException as exc:
            state = dict(state, state="credentials", status="noVNC prompted: %s" % (exc.alert_text or "a password"))
        _update(result, state)
        if state.get("state") in ("connected", "disconnected", "credentials") or time.monotonic() >= deadline:
            return state.get("state", "unknown")
        if state.get("state") == "idle" and not result.clicked_connect:
            driver.find_element("id", "noVNC_connect_button").click()
            result.clicked_connect = True
        time.sleep(POLL)


def _ocr_passes(images, workdir, ocr_image, expect, deadline):
    """[(text, constrained)] read by the OCR passes, stopping at the first pass after which every expected text is read."""
    reads = []
    alphabet = "".join(sorted(set("".join(expect)) - set(" \t\n")))
    for index, (scale_x, scale_y, constrained) in enumerate(OCR_PASSES):
        if constrained and not alphabet:
            continue
        path = os.path.join(workdir, "ocr-%sx%s.png" % (scale_x, scale_y))
        if not os.path.exists(path):
            with open(path, "wb") as handle:
                handle.write(base64.b64decode(images["%sx%s" % (scale_x, scale_y)]))
            if ocr_image and index == 0:
                shutil.copyfile(path, ocr_image)
        text, error = ocr_png(path, timeout=max(5, min(30, int(deadline - time.monotonic()) + 5)),
                              alphabet=alphabet if constrained else "")
        if error:
            raise OSError(error)
        reads.append((text, constrained))
        if not expect or not missing_texts([read[0] for read in reads], expect):
            break
    return reads


def _read_screen(driver, result, expect, deadline, workdir, ocr_image, tolerance):
    """OCR the guest's screen until every expected text is read (or once, without any), within the deadline."""
    settle, last = time.monotonic() + 3.0, None
    while True:
        canvas = driver.execute_script(_CANVAS_JS, sorted({tuple(scales[:2]) for scales in OCR_PASSES}), OCR_THRESHOLD)
        state = _probe(driver)
        if state.get("state") != "connected":
            _update(result, state)
            return "noVNC lost the connection while reading the screen: status %r" % result.status
        if canvas:
            result.canvas_size = (canvas["width"], canvas["height"])
        if canvas and canvas["ink"] and canvas["images"] != last:
            last = canvas["images"]  # an unchanged screen is not read twice
            for name in os.listdir(workdir):
                if name.startswith("ocr-"):
                    os.unlink(os.path.join(workdir, name))  # a new frame
            try:
                reads = _ocr_passes(canvas["images"], workdir, ocr_image, expect, deadline)
            except OSError as exc:
                return str(exc)
            result.ocr_errors = read_errors([read[0] for read in reads], expect)
            result.missing = [text for text in expect if result.ocr_errors[text] > allowed_errors(text, tolerance)]
            result.ocr_passes = len(reads)
            result.ocr_constrained = any(read[1] for read in reads)
            result.ocr_text = reads[0][0]  # the first pass: any character, as a person would read it
            if not result.missing:
                return ""
        elif canvas and not expect and time.monotonic() >= settle:
            return ""  # a black screen, and nothing expected on it
        if time.monotonic() >= deadline:
            if not canvas:
                return "noVNC shows no screen (no canvas)"
            if not canvas["ink"]:
                return "the guest's screen stayed black"
            return "OCR did not read %s" % ", ".join("%r (%d errors, %d allowed)" % (
                text, result.ocr_errors[text], allowed_errors(text, tolerance)) for text in result.missing)
        time.sleep(0.5)


def open_console(url, screenshot=None, expect=(), timeout=30.0, tolerance=OCR_TOLERANCE, ocr_image=None,
                 chromium=CHROMIUM, chromedriver=CHROMEDRIVER):
    """Open a noVNC console URL in headless Chromium and report what it showed (a ConsoleResult).

    Waits up to ``timeout`` seconds (browser start included) for noVNC to
    connect and, when ``expect`` lists texts, for OCR to read each of them on
    the guest's screen with at most ``tolerance`` x its length errors (see
    fold()). Saves the page as PNG at ``screenshot`` (also after a failure,
    when the page loaded) and the first image tesseract read at ``ocr_image``.
    Never raises for what it observes: ``failed`` and ``error`` say what went
    wrong; never leaves a browser process behind.
    """
    started = time.monotonic()
    deadline = started + timeout
    secrets = url_secrets(url)
    result = ConsoleResult(mask(url, secrets))
    workdir = tempfile.mkdtemp(prefix="novnc-console-")
    browser = None
    try:
        try:
            browser = _Browser(workdir, chromium=chromium, chromedriver=chromedriver)
        except ImportError as exc:
            result.failed, result.error = "browser", "selenium is not importable (%s): run this with the venv's python" % exc
            return result
        except Exception as exc:  # pylint: disable=broad-except
            result.failed = "browser"
            result.error = "could not start %s with %s: %s (chromedriver: %s)" % (
                chromium, chromedriver, mask(_first_line(exc), secrets), _log_tail(os.path.join(workdir, "chromedriver.log"), secrets))
            return result
        timed_out = _run(browser, url, result, secrets, deadline, list(expect), workdir, ocr_image, tolerance)
        if screenshot and result.failed != "browser" and not timed_out:
            _screenshot(browser.driver, screenshot, result, secrets)
        return result
    finally:
        if browser is not None:
            browser.close()
        shutil.rmtree(workdir, ignore_errors=True)
        result.elapsed = round(time.monotonic() - started, 2)


def _screenshot(driver, path, result, secrets):
    from selenium.common.exceptions import WebDriverException  # pylint: disable=import-outside-toplevel
    try:
        driver.set_page_load_timeout(10)  # bounds a renderer that stopped answering
        driver.save_screenshot(path)
        result.screenshot = path
    except WebDriverException as exc:
        if result.ok:
            result.failed, result.error = "browser", "could not save the screenshot: %s" % mask(_first_line(exc), secrets)


def _run(browser, url, result, secrets, deadline, expect, workdir, ocr_image, tolerance):  # pylint: disable=too-many-arguments
    """Load the page, wait for the connection, read the screen; set result.failed/error. True when the browser hung."""
    from selenium.common.exceptions import TimeoutException, WebDriverException  # pylint: disable=import-outside-toplevel
    driver = browser.driver
    try:
        driver.set_page_load_timeout(max(1, deadline - time.monotonic()))
        driver.get(url)
        state = _probe(driver)
    except WebDriverException as exc:
        result.failed = "page"
        result.error = "the browser could not load %s: %s" % (result.url, mask(_first_line(exc), secrets))
        return isinstance(exc, TimeoutException)
    _update(result, state)
    if result.http_status and result.http_status >= 400:
        result.failed = "page"
        result.error = "the browser could not load %s: HTTP %s (%s)" % (result.url, result.http_status, mask(result.title, secrets))
        return False
    if result.page == "unknown":
        result.failed = "page"
        result.error = "%s is not a noVNC page (title %r)" % (result.url, mask(result.title, secrets))
        return False
    try:
        final = _wait_connected(driver, result, deadline)
        if final != "connected":
            result.failed = "connect"
            result.detail = _novnc_detail(driver, secrets)
            why = {"disconnected": "it gave up", "credentials": "it asks for credentials"}.get(
                final, "still %s after the timeout" % final)
            result.error = "noVNC never connected (%s): status %r%s" % (
                why, mask(result.status, secrets), "; noVNC logged: %s" % result.detail if result.detail else "")
            return False
        result.connected = True
        error = _read_screen(driver, result, expect, deadline, workdir, ocr_image, tolerance)
    except WebDriverException as exc:
        result.failed = "browser"
        result.error = "the browser failed: %s" % mask(_first_line(exc), secrets)
        return isinstance(exc, TimeoutException)
    if error:
        result.failed = "connect" if error.startswith("noVNC lost") else "ocr"
        result.error = mask(error, secrets)
        if result.failed == "connect":
            result.connected = False
            result.detail = _novnc_detail(driver, secrets)
    return False


def _interrupted(signum, _frame):
    raise KeyboardInterrupt("signal %d" % signum)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Open a noVNC console URL in headless Chromium; OCR the guest's screen.")
    parser.add_argument("url", help="the console URL (openstack console url show)")
    parser.add_argument("--screenshot", required=True, help="where to save the page as PNG")
    parser.add_argument("--expect", action="append", default=[], metavar="TEXT", help="a text OCR must read on the screen (repeatable)")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds for all of it, browser start included (default 30)")
    parser.add_argument("--tolerance", type=float, default=OCR_TOLERANCE,
                        help="OCR errors allowed per expected text, as a fraction of its length (default %s; 0: exact)" % OCR_TOLERANCE)
    parser.add_argument("--ocr-image", help="where to save the image tesseract read")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupted)  # so that open_console() still closes the browser
    try:
        result = open_console(args.url, screenshot=args.screenshot, expect=args.expect, timeout=args.timeout,
                              tolerance=args.tolerance, ocr_image=args.ocr_image)
    except KeyboardInterrupt:
        print("interrupted; the browser was closed", file=sys.stderr)
        return 130
    if args.json:
        print(json.dumps(result.as_dict(), indent=2))
    else:
        print("%s: %s, status %r, %.1f s, screenshot %s" % (
            result.url, "connected" if result.connected else "NOT connected", result.status, result.elapsed, result.screenshot))
        for text, errors in result.ocr_errors.items():
            print("expected %r: %s (%d OCR errors, %d allowed)" % (
                text, "missing" if text in result.missing else "read", errors, allowed_errors(text, args.tolerance)))
        if result.ocr_constrained:
            print("(%d OCR passes, some limited to the expected texts' characters; below is the first, unlimited one)" % result.ocr_passes)
        if result.ocr_text.strip():
            print("OCR:\n  " + "\n  ".join(line for line in result.ocr_text.splitlines() if line.strip()))
    if not result.ok:
        print("FAILED (%s): %s" % (result.failed, result.error), file=sys.stderr)
    return EXIT_CODES[result.failed]


if __name__ == "__main__":
    sys.exit(main())
