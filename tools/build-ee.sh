#!/usr/bin/env bash
# Build (once) the execution environment of execution-environment.yml with
# ansible-builder and podman:
#   localhost/novaops/compute-ee:<version>-<hash of its inputs>, :<version> and :latest
# `make ee` runs it after `make build` (the collection's tarball) and
# `make image` (the base image), with ansible-builder from .cache/ee-venv.
#
# Idempotent: exits at once when the image for these inputs exists. The
# inputs are execution-environment.yml, tools/ee/, this script, the files
# inside the collection's tarball (not the tarball's bytes: gzip stamps the
# time), ansible.utils' MANIFEST.json and the base image's ID.
#
# No registry is reachable: the base image is local (--pull=never). pip in
# the build reaches PyPI through this host's CA bundle, mounted read-only
# for the build's RUN steps only (a network that inspects TLS needs its CA;
# the image keeps Debian's own bundle).
#
# Environment:
#   ANSIBLE_BUILDER       ansible-builder to use (default .cache/ee-venv/bin/ansible-builder)
#   NOVAOPS_EE_FORCE=1    rebuild even if the image exists, without podman's layer cache
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$root/tools/podman/containers.conf}"
builder="${ANSIBLE_BUILDER:-$root/.cache/ee-venv/bin/ansible-builder}"
repo=localhost/novaops/compute-ee
base=localhost/novaops/debian12-systemd:latest
work="$root/.cache/ee"

log() { printf '%s %s\n' "[build-ee]" "$*" >&2; }

version="$(sed -n 's/^version: *//p' "$root/galaxy.yml")"
tarball="$root/build/novaops-compute-$version.tar.gz"
[[ -f "$tarball" ]] || { log "missing $tarball: run make build"; exit 1; }
utils="$(compgen -G "$root/.venv/lib/python3*/site-packages/ansible_collections/ansible/utils" | head -1 || true)"
[[ -n "$utils" ]] || { log "ansible.utils not found in .venv (the ansible package): run make venv"; exit 1; }
podman image exists "$base" || { log "missing $base: run make image"; exit 1; }
[[ -x "$builder" ]] || { log "missing $builder: run make ee"; exit 1; }

inputs_hash() {
  {
    cat "$root/execution-environment.yml" "${BASH_SOURCE[0]}"
    (cd "$root" && find tools/ee -type f | LC_ALL=C sort | xargs sha256sum)
    tar -tzf "$tarball" | LC_ALL=C sort
    tar -xzOf "$tarball" | sha256sum
    sha256sum "$utils/MANIFEST.json" | cut -d' ' -f1
    podman image inspect --format '{{.Id}}' "$base"
  } | sha256sum | cut -c1-12
}
hash="$(inputs_hash)"
image="$repo:$version-$hash"

if [[ "${NOVAOPS_EE_FORCE:-0}" != 1 ]] && podman image exists "$image"; then
  podman tag "$image" "$repo:$version" "$repo:latest"
  log "up to date: $image"
  echo "$image"
  exit 0
fi

start=$SECONDS
# The build context's inputs that are not in git: the two collections.
rm -rf "$work/collections" "$work/context"
mkdir -p "$work/collections/ansible"
cp "$tarball" "$work/collections/novaops-compute.tar.gz"
cp -a "$utils" "$work/collections/ansible/utils"

extra=(--pull=never --label "novaops.ee.inputs=$hash")
[[ -f /etc/ssl/certs/ca-certificates.crt ]] &&
  extra+=(--volume /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:ro)

build=(build --file "$root/execution-environment.yml" --context "$work/context"
       --container-runtime podman --tag "$image" --tag "$repo:$version" --tag "$repo:latest"
       --extra-build-cli-args "${extra[*]}" --verbosity 3)
[[ "${NOVAOPS_EE_FORCE:-0}" == 1 ]] && build+=(--no-cache)

log "building $image with $("$builder" --version | head -1), log: $work/build.log"
if ! "$builder" "${build[@]}" > "$work/build.log" 2>&1; then
  tail -60 "$work/build.log" >&2
  log "ansible-builder failed after $((SECONDS - start)) s (whole log: $work/build.log)"
  exit 1
fi

# The image answers for the collection it carries (a failure here is a
# broken image, not a slow one).
podman run --rm "$image" ansible-doc -t filter novaops.compute.health_report > /dev/null
podman run --rm "$image" ansible-galaxy collection list novaops.compute 2>/dev/null | grep -q "novaops.compute *$version"

# drop images of older inputs (tests and users take :latest or :<version>)
for old in $(podman images --format '{{.Repository}}:{{.Tag}}' "$repo" |
             grep -v -e ":$version-$hash\$" -e ":$version\$" -e ':latest$'); do
  podman rmi "$old" > /dev/null 2>&1 || true
done
log "built $image in $((SECONDS - start)) s"
echo "$image"
