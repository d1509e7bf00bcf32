# -*- coding: utf-8 -*-
# Copyright: contributors to the novaops.compute collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``virsh``: its outputs (pure parsers) and ``Virsh``, the one runner of it.

``virsh domiflist`` prints a table (libvirt's vshTable) like::

     Interface        Type       Source       Model     MAC
    -----------------------------------------------------------------------
     tap3f2c1a9e-7b   ethernet   -            virtio    52:54:00:3f:2c:1a

Cells may contain spaces (a vhost-user socket path, a network name), so rows
are cut at the column positions of the header, never with ``split()``.  With
``LC_ALL=C`` (which the modules pin) virsh escapes non-ASCII bytes, so the
table is plain ASCII and character positions are display columns.

Several virsh commands can run in one process: ``virsh -c URI 'cmd1; cmd2'``
takes a single argument that virsh tokenizes itself (shell-like quoting).
``build_batch`` quotes every argument for that tokenizer and puts an ``echo``
marker before each command so ``split_batch`` can cut the combined output
back into one piece per command.

``Virsh`` runs virsh through an AnsibleModule, bounded by ``timeout(1)`` when
given a timeout; every module that asks libvirt uses it.
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET

COLUMNS = ("Interface", "Type", "Source", "Model", "MAC")
KEYS = ("interface", "type", "source", "model", "mac")

# Neutron names a guest's tap 'tap' + the first 11 characters of the port
# UUID (os-vif uses 'vhu' for vhost-user ports).  Both become port_id_prefix.
PORT_DEVICE_RE = re.compile(r"^(?:tap|vhu)([0-9a-f]{8}-[0-9a-f]{2})$")


class VirshParseError(ValueError):
    """The text is not what the virsh command prints on success."""


def _cell(value):
    value = value.strip()
    return None if value in ("", "-") else value


def port_id_prefix(interface):
    """Return the 11-character Neutron port id prefix of a tap/vhu name, else None."""
    match = PORT_DEVICE_RE.match(interface or "")
    return match.group(1) if match else None


def _header_positions(header):
    positions = []
    start = 0
    for name in COLUMNS:
        match = re.compile(r"(?:^|\s)(%s)(?:\s|$)" % re.escape(name)).search(header, start)
        if not match:
            raise VirshParseError("domiflist header lacks column %r: %r" % (name, header))
        positions.append(match.start(1))
        start = match.end(1)
    return positions


def parse_domiflist(text):
    """Parse ``virsh domiflist`` stdout into a list of interface dicts.

    Each dict has ``interface``, ``type``, ``source``, ``model``, ``mac``
    (virsh's ``-`` becomes None) and ``port_id_prefix``.  A header without
    rows (a domain without interfaces) gives ``[]``.  Text without the
    header (empty output, an error) raises VirshParseError.
    """
    lines = text.splitlines()
    while lines and not lines[0].strip():
        lines.pop(0)
    if len(lines) < 2:
        raise VirshParseError("no domiflist table in %r" % text[:200])
    header, rule = lines[0], lines[1]
    positions = _header_positions(header)
    if not rule.strip() or rule.strip("-").strip():
        raise VirshParseError("domiflist header is not followed by a dashed line: %r" % rule)

    interfaces = []
    for row in lines[2:]:
        if not row.strip():
            break
        for pos in positions[1:]:
            if len(row) > pos and row[pos - 1] != " ":
                raise VirshParseError("domiflist row does not line up with the header: %r" % row)
        bounds = zip(positions, positions[1:] + [None])
        cells = [_cell(row[begin:end]) for begin, end in bounds]
        iface = dict(zip(KEYS, cells))
        iface["port_id_prefix"] = port_id_prefix(iface["interface"])
        interfaces.append(iface)
    return interfaces


def parse_dominfo_name(text):
    """Return the ``Name:`` field of ``virsh dominfo`` output, or None.

    dominfo finds a domain by id, UUID or name (``domname`` takes only an id
    or UUID) and prints ``"%-15s %s"``: the name starts at column 16, which
    keeps leading spaces of a name intact.
    """
    for line in text.splitlines():
        match = re.match(r"Name: {11}(.+)$", line) or re.match(r"Name:\s+(.+)$", line)
        if match:
            return match.group(1)
    return None


def parse_name_list(text):
    """Parse ``virsh list --name`` (one name per line, blank line at the end)."""
    return [line for line in text.split("\n") if line]


# virDomainShutoffReason (libvirt-domain.h): why a domain is shut off.
SHUTOFF_REASONS = {0: "unknown", 1: "shutdown", 2: "destroyed", 3: "crashed", 4: "migrated", 5: "saved",
                   6: "failed", 7: "from snapshot", 8: "daemon"}
SHUTOFF = 5  # virDomainState VIR_DOMAIN_SHUTOFF


def parse_domstats_state(text):
    """Parse ``virsh domstats --state`` into ``{name: {"state": int, "reason": int}}``.

    virsh prints one block per domain::

        Domain: 'instance-0000002a'
          state.state=5
          state.reason=3

    (state 5 is shut off, reason 3 crashed: QEMU died without a shutdown).
    """
    domains = {}
    current = None
    for line in text.splitlines():
        match = re.match(r"^Domain: '(.*)'$", line)
        if match:
            current = domains.setdefault(match.group(1), {})
            continue
        match = re.match(r"^\s+state\.(state|reason)=(\d+)$", line)
        if match:
            if current is None:
                raise VirshParseError("domstats value before any Domain line: %r" % line)
            current[match.group(1)] = int(match.group(2))
    return domains


def quote(arg):
    """Quote one argument for virsh's command-string tokenizer.

    Inside single quotes virsh takes every character literally (no
    backslash escapes, ``;`` and ``#`` included); a single quote is closed,
    escaped and reopened, as in POSIX shells.
    """
    return "'" + arg.replace("'", "'\\''") + "'"


def marker(token, index):
    return "@@novaops:%s:%s@@" % (token, index)


def build_batch(commands, token):
    """One virsh command string that runs ``commands`` (argv lists) in order.

    Each command is preceded by ``echo <marker>``; an end marker follows the
    last one.  ``token`` must be unique to the run (it keeps output that
    happens to look like a marker from being taken for one).
    """
    if not re.match(r"^[0-9A-Za-z]+$", token):
        raise ValueError("token must be alphanumeric")
    parts = []
    for index, argv in enumerate(commands):
        parts.append("echo " + marker(token, index))
        parts.append(" ".join(quote(arg) for arg in argv))
    parts.append("echo " + marker(token, "end"))
    return " ; ".join(parts)


def split_batch(text, token, count):
    """Cut the stdout of a ``build_batch`` run into ``count`` per-command outputs.

    virsh goes on after a failing command (its error goes to stderr), so a
    failed command simply leaves little or nothing in its piece.  Raises
    VirshParseError if a marker is missing (virsh stopped early).
    """
    wanted = [marker(token, index) for index in range(count)] + [marker(token, "end")]
    pieces = []
    current = None
    expect = 0
    for line in text.splitlines(True):
        if expect < len(wanted) and line.rstrip("\n") == wanted[expect]:
            if current is not None:
                pieces.append("".join(current))
            current = []
            expect += 1
            continue
        if current is not None:
            current.append(line)
    if expect != len(wanted):
        raise VirshParseError("virsh batch output stops before %s" % wanted[expect])
    return pieces


def chunk(items, max_chars=32768, weight=len):
    """Split ``items`` into lists whose summed ``weight`` stays under ``max_chars``.

    Keeps each batch command string well below Linux's 128 KiB limit for a
    single argument.
    """
    chunks, current, size = [], [], 0
    for item in items:
        cost = weight(item)
        if current and size + cost > max_chars:
            chunks.append(current)
            current, size = [], 0
        current.append(item)
        size += cost
    if current:
        chunks.append(current)
    return chunks


def parse_virsh_version(text):
    """``virsh version`` -> ``{compiled_against, library, api, hypervisor}``."""
    keys = {
        "Compiled against library": "compiled_against",
        "Using library": "library",
        "Using API": "api",
        "Running hypervisor": "hypervisor",
    }
    out = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() in keys:
            out[keys[key.strip()]] = value.strip()
    if "library" not in out:
        raise VirshParseError("no 'Using library:' in virsh version output: %r" % text[:200])
    return out


def is_local_uri(uri):
    """A libvirt URI whose daemon runs on this node (no host part)."""
    rest = uri.partition("://")[2] if "://" in uri else ""
    return rest.startswith("/") or rest == ""


# Nova's namespace of the <metadata> it writes into a guest's domain XML;
# Nova 26 writes .../nova/1.1 (nova/virt/libvirt/config.py NOVA_NS), older
# releases 1.0.
NOVA_XMLNS = "http://openstack.org/xmlns/libvirt/nova/"


def _text(node, path, ns):
    value = node.findtext(path.replace("nova:", "{%s}" % ns)) if node is not None else None
    return value.strip() if isinstance(value, str) else value


def _int_text(node, path, ns):
    value = _text(node, path, ns)
    return int(value) if value and value.isdigit() else None


def _nova_instance(root):
    """The Nova identity of a domain from its ``<nova:instance>`` metadata, None without one.

    Nova (nova/virt/libvirt/config.py, LibvirtConfigGuestMetaNova*) writes::

        <nova:instance xmlns:nova="http://openstack.org/xmlns/libvirt/nova/1.1">
          <nova:package version="26.2.2"/>
          <nova:name>web-1</nova:name>
          <nova:creationTime>2026-11-30 18:46:33</nova:creationTime>
          <nova:flavor name="m1.small"><nova:memory>2048</nova:memory><nova:disk>20</nova:disk>
            <nova:swap>0</nova:swap><nova:ephemeral>0</nova:ephemeral><nova:vcpus>1</nova:vcpus></nova:flavor>
          <nova:owner><nova:user uuid="...">admin</nova:user><nova:project uuid="...">demo</nova:project></nova:owner>
          <nova:root type="image" uuid="..."/>
          <nova:ports><nova:port uuid="..."><nova:ip type="fixed" address="..." ipVersion="4"/></nova:port></nova:ports>
        </nova:instance>
    """
    for node in root.findall("./metadata/*"):
        namespace, _sep, local = node.tag[1:].partition("}") if node.tag.startswith("{") else ("", "", node.tag)
        if local != "instance" or not namespace.startswith(NOVA_XMLNS):
            continue
        ns = namespace
        flavor = node.find("{%s}flavor" % ns)
        owner = node.find("{%s}owner" % ns)
        user = owner.find("{%s}user" % ns) if owner is not None else None
        project = owner.find("{%s}project" % ns) if owner is not None else None
        root_disk = node.find("{%s}root" % ns)
        package = node.find("{%s}package" % ns)
        ports = []
        for port in node.findall("{%s}ports/{%s}port" % (ns, ns)):
            ports.append({"id": port.get("uuid"),
                          "ips": [ip.get("address") for ip in port.findall("{%s}ip" % ns) if ip.get("address")]})
        return {
            "name": _text(node, "nova:name", ns),
            "creation_time": _text(node, "nova:creationTime", ns),
            "package": package.get("version") if package is not None else None,
            "flavor": None if flavor is None else {
                "name": flavor.get("name"),
                "memory_mb": _int_text(flavor, "nova:memory", ns),
                "disk_gb": _int_text(flavor, "nova:disk", ns),
                "swap_mb": _int_text(flavor, "nova:swap", ns),
                "ephemeral_gb": _int_text(flavor, "nova:ephemeral", ns),
                "vcpus": _int_text(flavor, "nova:vcpus", ns),
            },
            "user": None if user is None else {"id": user.get("uuid"), "name": (user.text or "").strip() or None},
            "project": None if project is None else {"id": project.get("uuid"),
                                                     "name": (project.text or "").strip() or None},
            # boot from volume: <nova:root type="volume" .../> carries no image
            "image_id": root_disk.get("uuid") if root_disk is not None and root_disk.get("type") == "image" else None,
            "ports": ports,
        }
    return None


def _disk_source(disk):
    source = disk.find("source")
    if source is None:
        return None
    if source.get("file") or source.get("dev") or source.get("dir") or source.get("volume"):
        return source.get("file") or source.get("dev") or source.get("dir") or source.get("volume")
    if source.get("protocol"):
        return "%s:%s" % (source.get("protocol"), source.get("name") or "")
    return None


def _domain_disks(root):
    """One ``{target, device, type, format, source, backing}`` per ``<devices><disk>``.

    ``backing``: the ``<backingStore>`` chain's sources, nearest first, as
    libvirt reports it in a running domain's XML (``[]`` when libvirt gives
    none: an inactive domain, a disk without a backing file).
    """
    disks = []
    for disk in root.findall("./devices/disk"):
        driver = disk.find("driver")
        target = disk.find("target")
        backing = []
        store = disk.find("backingStore")
        while store is not None and _disk_source(store):
            backing.append(_disk_source(store))
            store = store.find("backingStore")
        disks.append({
            "target": target.get("dev") if target is not None else None,
            "device": disk.get("device") or "disk",
            "type": disk.get("type"),
            "format": driver.get("type") if driver is not None else None,
            "source": _disk_source(disk),
            "backing": backing,
        })
    return disks


def parse_domain(text):
    """``virsh dumpxml`` (libvirt's domain XML) -> ``{name, uuid, nova, graphics, disks}``.

    ``graphics``: one ``{type, port, autoport, listen, socket}`` per
    ``<devices><graphics>``, as libvirt documents them::

        <graphics type='vnc' port='5900' autoport='yes' listen='0.0.0.0'>
          <listen type='address' address='0.0.0.0'/>
        </graphics>

    ``port`` is an int, None when libvirt has not given one (``-1`` before
    start, or a console on a UNIX socket); ``listen`` is the first
    ``<listen>`` address (else the ``listen`` attribute), ``socket`` the
    first ``<listen type='socket'>`` path.  ``nova`` is the server's identity
    (display name, flavor, owner, image, ports) from the ``<nova:instance>``
    metadata Nova writes into the guests it manages, None for other domains;
    their domain ``uuid`` is the server's UUID.  ``disks``: see
    ``_domain_disks``.  Raises VirshParseError for text that is not a
    domain's XML.
    """
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise VirshParseError("not a domain XML: %s" % exc)
    if root.tag != "domain":
        raise VirshParseError("not a domain XML: root element <%s>" % root.tag)
    graphics = []
    for node in root.findall("./devices/graphics"):
        port = node.get("port") or ""
        addresses = [c.get("address") for c in node.findall("listen") if c.get("address")]
        sockets = [c.get("socket") for c in node.findall("listen") if c.get("type") == "socket"]
        # libvirt: the listen attribute duplicates the first <listen>'s address
        listen = addresses[0] if addresses else node.get("listen")
        sock = sockets[0] if sockets else node.get("socket")
        graphics.append({
            "type": node.get("type"),
            "port": int(port) if port.isdigit() and int(port) > 0 else None,
            "autoport": node.get("autoport") == "yes",
            "listen": listen,
            "socket": sock,
        })
    return {"name": root.findtext("name"), "uuid": root.findtext("uuid"), "nova": _nova_instance(root),
            "graphics": graphics, "disks": _domain_disks(root)}


# ---------------------------------------------------------------------------
# the runner
# ---------------------------------------------------------------------------

class Virsh:
    """Runs ``virsh -c URI`` through ``module.run_command``.

    ``timeout``: seconds, enforced with ``timeout -k 5 N`` (when coreutils'
    timeout is there); None runs virsh unbounded.  ``required``: fail the
    module when virsh is not installed, else ``missing`` is True and nothing
    runs.  Failure helpers end in fail_json with the command's evidence.
    """

    TIMED_OUT = (124, 137)  # timeout(1): the command timed out / was killed after -k

    def __init__(self, module, uri, timeout=None, required=True):
        self.module = module
        self.uri = uri
        self.timeout = timeout
        binary = module.get_bin_path("virsh", required=required)
        self.missing = binary is None
        self.base = [binary, "-c", uri]
        self.prefix = []
        if timeout:
            bounded = module.get_bin_path("timeout")
            if bounded:
                self.prefix = [bounded, "-k", "5", str(timeout)]

    def argv(self, args):
        return self.prefix + self.base + list(args)

    def run(self, args):
        """(rc, stdout, stderr) of ``virsh -c URI ARGS``."""
        return self.module.run_command(self.argv(args))

    def timed_out(self, rc):
        return bool(self.prefix) and rc in self.TIMED_OUT

    def fail(self, what, args, rc, out, err):
        if self.timed_out(rc):
            detail = "no answer within %ss" % self.timeout
        else:
            detail = err.strip() or out.strip() or "rc=%s" % rc
        self.module.fail_json(msg="%s: %s" % (what, detail), cmd=self.argv(args), rc=rc, stdout=out, stderr=err)

    def try_batch(self, commands):
        """Run several virsh commands in one process.

        Returns ``(pieces or None, rc, stdout, stderr)``: one stdout piece per
        command, None when virsh stopped before the end (no daemon, timeout).
        """
        return self._batch(commands)[1:]

    def _batch(self, commands):
        token = uuid.uuid4().hex
        args = [build_batch(commands, token)]
        rc, out, err = self.run(args)
        try:
            return args, split_batch(out, token, len(commands)), rc, out, err
        except VirshParseError:
            return args, None, rc, out, err

    def domains(self, names):
        """``{domain: parsed XML (see parse_domain)}`` of the domains NAMES, all read in
        one virsh process per 32 KiB of command string.  A domain whose XML cannot
        be read (undefined since it was listed) is left out."""
        domains = {}
        for batch in chunk(sorted(names or []), weight=lambda n: len(quote(n)) + 100):
            pieces, _rc, _out, _err = self.try_batch([["dumpxml", "--domain", name] for name in batch])
            for name, piece in zip(batch, pieces or []):
                try:
                    domains[name] = parse_domain(piece)
                except VirshParseError:
                    continue
        return domains

    def nova_servers(self, names):
        """``{domain: {uuid, name}}`` of the Nova instances among the domains NAMES.

        From each domain's ``<nova:instance>`` metadata (the domain UUID is
        the server's).  Domains Nova does not manage, and any whose XML
        cannot be read, are left out.
        """
        return {name: {"uuid": domain["uuid"], "name": domain["nova"]["name"]}
                for name, domain in self.domains(names).items() if domain["nova"]}

    def batch(self, commands):
        """Like ``try_batch``, but a batch that stops early fails the module."""
        args, pieces, rc, out, err = self._batch(commands)
        if pieces is None:
            self.fail("virsh failed", args, rc, out, err)
        return pieces

    def single(self, args, parse):
        """Run one command alone; returns (parsed or None, rc, out, err)."""
        rc, out, err = self.run(args)
        if rc == 0:
            try:
                return parse(out), rc, out, err
            except VirshParseError:
                pass
        return None, rc, out, err

    def single_or_fail(self, args, parse, domain):
        value, rc, out, err = self.single(args, parse)
        if value is None:
            self.fail("virsh %s failed for %s" % (args[0], domain), args, rc, out, err)
        return value

    def names(self, args):
        """``virsh list ... --name``: the names, or fail_json."""
        rc, out, err = self.run(args)
        if rc != 0:
            self.fail("virsh list failed", args, rc, out, err)
        return parse_name_list(out)
