#!/usr/bin/env bash
# Capture qemu-img info JSON for tests/unit/fixtures/qemu-img: a Nova-style
# layout (a raw _base entry named by the SHA-1 of an image ID, a qcow2
# instance disk on it, a disk whose backing file is gone) built in a temp
# directory with the host's qemu-img (Debian 12: 7.2, as on the bed).
set -euo pipefail
out=${1:-$(cd "$(dirname "$0")/../../.." && pwd)/tests/unit/fixtures/qemu-img}
work=/tmp/ic
rm -rf "$work"
mkdir -p "$work/inst/_base" "$work/inst/77cb0890-0dbb-49fd-8dc4-e185f3c20b84" "$work/inst/abandoned" "$out"
base=$work/inst/_base/$(printf %s 95c5c184-ac90-42a3-a104-d44ec63f8a60 | sha1sum | cut -c1-40)
head -c 4M /dev/urandom > "$base"
truncate -s 64M "$base"
disk=$work/inst/77cb0890-0dbb-49fd-8dc4-e185f3c20b84/disk
qemu-img create -q -f qcow2 -F raw -b "$base" "$disk" 1G
qemu-img create -q -f qcow2 -u -F raw -b "$work/inst/_base/gone" "$work/inst/abandoned/disk" 1G
qemu-img info -U --output=json --backing-chain -- "$disk" > "$out/chain-overlay-on-raw.json"
qemu-img info -U --output=json -- "$base" > "$out/single-raw-base.json"
qemu-img info -U --output=json -- "$work/inst/abandoned/disk" > "$out/single-overlay-missing-backing.json"
if qemu-img info -U --output=json --backing-chain -- "$work/inst/abandoned/disk" > /dev/null 2> "$out/chain-missing-backing.stderr"; then
    echo "expected qemu-img to fail on a missing backing file" >&2
    exit 1
fi
qemu-img --version | head -1 > "$out/VERSIONS.txt"
# the first KiB of the overlay: its qcow2 header names the backing file
head -c 1024 "$disk" > "$out/overlay-header.bin"
