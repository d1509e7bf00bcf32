# -*- coding: utf-8 -*-
# Copyright: contributors to the novaops.compute collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``qemu-img info``: its JSON (a pure parser) and ``QemuImg``, the one runner of it.

``qemu-img info --output=json FILE`` prints one object; with
``--backing-chain`` it prints a list, the file first and each backing file
after it (qemu-img 7.2, Debian 12)::

    [{"filename": "/var/lib/nova/instances/U/disk", "format": "qcow2",
      "virtual-size": 1073741824, "actual-size": 200704,
      "backing-filename": "/var/lib/nova/instances/_base/0a1b...",
      "full-backing-filename": "/var/lib/nova/instances/_base/0a1b...",
      "backing-filename-format": "raw", ...},
     {"filename": "/var/lib/nova/instances/_base/0a1b...", "format": "raw",
      "virtual-size": 1073741824, "actual-size": 285212672}]

A running guest's QEMU holds a lock on its disk; ``-U`` (``--force-share``)
reads the headers without taking it, so the guest is never disturbed.
"""

from __future__ import annotations

import json
import os
import struct

QCOW2_MAGIC = b"QFI\xfb"
HEADER_BYTES = 65536  # qemu-img keeps the backing file's name in the image's first cluster


class QemuImgParseError(ValueError):
    """The text is not what ``qemu-img info --output=json`` prints on success."""


def _layer(raw):
    if not isinstance(raw, dict) or not isinstance(raw.get("filename"), str):
        raise QemuImgParseError("a qemu-img info entry without a filename: %r" % (raw,))
    return {
        "filename": raw["filename"],
        "format": raw.get("format"),
        "virtual_size": raw.get("virtual-size"),
        "actual_size": raw.get("actual-size"),
        # qemu-img resolves a relative backing name against the file's directory
        "backing_file": raw.get("full-backing-filename") or raw.get("backing-filename"),
        "backing_format": raw.get("backing-filename-format"),
    }


def parse_info(text):
    """``qemu-img info --output=json [--backing-chain]`` -> a list of layers, the file first.

    Each layer: ``{filename, format, virtual_size, actual_size, backing_file,
    backing_format}`` (sizes in bytes; ``backing_file`` the absolute path,
    None without one).
    """
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise QemuImgParseError("qemu-img info did not print JSON: %s" % exc)
    return [_layer(raw) for raw in (data if isinstance(data, list) else [data])]


def parse_qcow2_backing(header):
    """The backing file name in a qcow2 image's header, None without one or for
    another format (the qcow2 specification, docs/interop/qcow2.txt: magic,
    version, then backing_file_offset as a big-endian u64 and backing_file_size
    as a u32). Raises QemuImgParseError for a qcow2 header cut short."""
    if header[:4] != QCOW2_MAGIC:
        return None
    if len(header) < 20:
        raise QemuImgParseError("qcow2 header cut short (%d bytes)" % len(header))
    offset, = struct.unpack(">Q", header[8:16])
    size, = struct.unpack(">I", header[16:20])
    if not offset or not size:
        return None
    if offset + size > len(header):
        raise QemuImgParseError("qcow2 backing file name beyond the first %d bytes" % len(header))
    return header[offset:offset + size].decode("utf-8", "surrogateescape")


def backing_chain(path, read=None, limit=16):
    """The backing files under the disk PATH, nearest first, from the qcow2
    headers alone (no process; what qemu-img follows, for qcow2 layers over
    any base). A relative name is taken from the layer's directory, as qemu
    does. Raises OSError when a layer cannot be read."""
    read = read or _read_header
    chain, current = [], path
    while len(chain) < limit:
        name = parse_qcow2_backing(read(current))
        if not name:
            break
        current = name if os.path.isabs(name) else os.path.join(os.path.dirname(current), name)
        chain.append(current)
        if not os.path.exists(current):
            break
    return chain


def _read_header(path):
    with open(path, "rb") as f:
        return f.read(HEADER_BYTES)


class QemuImg:
    """Runs ``qemu-img info`` through ``module.run_command`` (bounded by ``timeout(1)``)."""

    def __init__(self, module, timeout=30):
        self.module = module
        binary = module.get_bin_path("qemu-img", required=False)
        self.missing = binary is None
        self.base = [binary, "info", "-U", "--output=json"]
        bounded = module.get_bin_path("timeout") if timeout else None
        self.prefix = [bounded, "-k", "5", str(timeout)] if bounded else []

    def info(self, path, chain=False):
        """``(layers, error)``: the parsed layers, or None and qemu-img's message."""
        argv = self.prefix + self.base + (["--backing-chain"] if chain else []) + ["--", path]
        rc, out, err = self.module.run_command(argv)
        if rc != 0:
            return None, (err.strip() or out.strip() or "rc=%s" % rc).splitlines()[-1]
        try:
            return parse_info(out), None
        except QemuImgParseError as exc:
            return None, str(exc)
