"""Tests for _qemu_img: qemu-img info JSON captured with qemu-img 7.2 (Debian 12, as on the bed).

The captures come from tools/capture-fixtures/qemu-img/capture.sh: a raw
``_base`` entry named by the SHA-1 of an image ID, a qcow2 instance disk on
it, and a disk whose backing file is gone.
"""

import os

import pytest

from ansible_collections.novaops.compute.plugins.module_utils._qemu_img import (
    QemuImgParseError,
    backing_chain,
    parse_info,
    parse_qcow2_backing,
)

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "qemu-img")
BASE = "/tmp/ic/inst/_base/6052df28e51f313a438ec3a07865dd2e5ee037f3"
DISK = "/tmp/ic/inst/77cb0890-0dbb-49fd-8dc4-e185f3c20b84/disk"


def load(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as f:
        return f.read()


def test_backing_chain_lists_the_disk_then_its_base():
    layers = parse_info(load("chain-overlay-on-raw.json"))
    assert [layer["filename"] for layer in layers] == [DISK, BASE]
    disk, base = layers
    assert disk["format"] == "qcow2" and disk["virtual_size"] == 1 << 30
    assert disk["backing_file"] == BASE and disk["backing_format"] == "raw"
    assert base["format"] == "raw" and base["virtual_size"] == 64 << 20 and base["backing_file"] is None
    assert isinstance(base["actual_size"], int) and base["actual_size"] >= 4 << 20


def test_single_object_is_one_layer():
    (base,) = parse_info(load("single-raw-base.json"))
    assert base["filename"] == BASE and base["format"] == "raw"


def test_a_missing_backing_file_is_still_named_by_the_disk_alone():
    # --backing-chain fails as a whole; the disk's own header still names its backing file
    assert "Could not open '/tmp/ic/inst/_base/gone'" in load("chain-missing-backing.stderr")
    (disk,) = parse_info(load("single-overlay-missing-backing.json"))
    assert disk["backing_file"] == "/tmp/ic/inst/_base/gone"


@pytest.mark.parametrize("text", ["", "qemu-img: Could not open 'x'", "[1, 2]", '{"format": "raw"}'])
def test_not_qemu_img_json(text):
    with pytest.raises(QemuImgParseError):
        parse_info(text)


def header():
    with open(os.path.join(FIXTURES, "overlay-header.bin"), "rb") as f:
        return f.read()


def test_the_qcow2_header_names_what_qemu_img_names():
    assert parse_qcow2_backing(header()) == parse_info(load("chain-overlay-on-raw.json"))[0]["backing_file"] == BASE


@pytest.mark.parametrize("data", [b"", b"\0" * 512, b"<domain/>"])
def test_other_formats_have_no_backing_file(data):
    assert parse_qcow2_backing(data) is None


def test_a_header_cut_short():
    with pytest.raises(QemuImgParseError):
        parse_qcow2_backing(header()[:500])


def test_the_chain_follows_each_layer_and_resolves_relative_names():
    layers = {"/i/u/disk": header()[:528] + b"../_base/top" + b"\0" * 10,
              "/i/_base/top": b"\0" * 512}
    # point the overlay's name at a relative path of 12 bytes
    layers["/i/u/disk"] = layers["/i/u/disk"][:16] + (12).to_bytes(4, "big") + layers["/i/u/disk"][20:]
    assert backing_chain("/i/u/disk", read=layers.__getitem__) == ["/i/u/../_base/top"]
