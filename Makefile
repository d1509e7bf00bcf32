# novaops.compute: `make demo` and `make test` do all the set-up themselves on
# a fresh Debian 12 machine (as root).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

ROOT := $(CURDIR)
VENV := $(ROOT)/.venv
BIN := $(VENV)/bin
PYTHON ?= python3.11
COLLECTIONS := $(ROOT)/.cache/collections
COLLECTION_LINK := $(COLLECTIONS)/ansible_collections/novaops/compute
STAGE := $(ROOT)/build/ansible_collections/novaops/compute
APT_PACKAGES := python3-venv rsync git shellcheck
# The bed's browser check (headless Chromium through selenium, OCR of its
# screenshot), the guest image's boot test (QEMU on this host) and image_cache_info's
# integration test (qemu-img).
BED_APT_PACKAGES := chromium chromium-driver tesseract-ocr netpbm qemu-system-x86 qemu-utils websockify novnc
SANITY_VENV := $(ROOT)/.cache/sanity-venv
EE_VENV := $(ROOT)/.cache/ee-venv
IMPORTER_VENV := $(ROOT)/.cache/importer-venv
ANSIBLE_CORE := $(shell grep -E '^ansible-core==' requirements-dev.txt)
ANSIBLE_LINT := $(shell grep -E '^ansible-lint==' requirements-dev.txt)
VERSION := $(shell sed -n 's/^version: *//p' galaxy.yml)
TARBALL := $(ROOT)/build/novaops-compute-$(VERSION).tar.gz
GET_PIP_CACHE := $(HOME)/.ansible/test/cache/get_pip_24_2.py

export ANSIBLE_CONFIG := $(ROOT)/ansible.cfg
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS):$(VENV)/lib/python3.11/site-packages
export ANSIBLE_NOCOLOR := 1
export PATH := $(BIN):$(PATH)
# Podman here needs runc (crun refuses a hybrid cgroup v1 layout) and no
# default ulimits (raising them fails without CAP_SYS_RESOURCE): a
# project-local containers.conf, never a rewrite of /etc/containers.
export CONTAINERS_CONF := $(ROOT)/tools/podman/containers.conf
MOLECULE := cd $(ROOT) && $(BIN)/molecule
# The release the bed's nodes run (.config/molecule/config.yml reads
# NOVAOPS_DISTRO): debian12, Nova 26 (the default), or debian13, Nova 31:
# `make demo DISTRO=debian13`, `make image DISTRO=debian13`.
DISTRO ?= debian12
export NOVAOPS_DISTRO = $(DISTRO)

.PHONY: help deps venv collection lint sanity units integration test checks build docs changelog \
        publish-check clean image guest-image bed-deps molecule molecule-debian13 checks-then-debian13 demo demo-clean ee

help:
	@echo "make demo       - a control plane + compute1 in podman, site.yml against them, a report"
	@echo "                  (Debian 12, Nova 26; DISTRO=debian13: Debian 13, Nova 31)"
	@echo "make demo-clean - remove what make demo created"
	@echo "make test       - the execution environment, lint, sanity, unit and integration tests, docs, changelog, build,"
	@echo "                  Galaxy's import checks, the Molecule scenarios"
	@echo "make lint | sanity | units | integration | docs | changelog | build | publish-check | image | ee | molecule | molecule-debian13 | clean"

# apt packages the tool chain needs (skipped when already there).
define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef

deps:
	$(call apt_install,$(APT_PACKAGES))

bed-deps: deps
	$(call apt_install,$(BED_APT_PACKAGES))

venv: $(VENV)/.installed
$(VENV)/.installed: requirements-dev.txt | deps
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: install Python 3.11 (Debian 12: python3)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

# Ansible finds this checkout as the novaops.compute collection.
collection: venv
	@mkdir -p $(dir $(COLLECTION_LINK))
	@[ "$$(readlink $(COLLECTION_LINK) 2>/dev/null)" = "$(ROOT)" ] || ln -sfn $(ROOT) $(COLLECTION_LINK)

lint: collection
	$(BIN)/yamllint --strict .
	$(BIN)/ansible-lint --profile production

# ansible-test runs from its own venv (its pinned pylint & co. would clash
# with ansible-lint's) and needs the collection staged at
# ansible_collections/novaops/compute. Its per-test venvs bootstrap pip with a
# script it downloads from a host CI cannot reach; tools/get-pip.py stands in.
$(SANITY_VENV)/.installed: requirements-dev.txt | deps
	$(PYTHON) -m venv $(SANITY_VENV)
	$(SANITY_VENV)/bin/pip install -q --upgrade pip
	$(SANITY_VENV)/bin/pip install -q '$(ANSIBLE_CORE)'
	touch $@

sanity: collection $(SANITY_VENV)/.installed
	mkdir -p $(dir $(GET_PIP_CACHE)) && cp tools/get-pip.py $(GET_PIP_CACHE)
	rm -rf $(ROOT)/build/ansible_collections
	mkdir -p $(STAGE)
	rsync -a --exclude .venv --exclude .cache --exclude .ansible --exclude build --exclude .git $(ROOT)/ $(STAGE)/
	cd $(STAGE) && git init -q && git add -A && \
	  $(SANITY_VENV)/bin/ansible-test sanity --python 3.11 --local --requirements --color no

units: collection
	$(BIN)/pytest -q tests/unit

# ansible-playbook, ansible-doc and ansible-galaxy on localhost, no test bed:
# the role's task files against files in temporary directories, and the built
# tarball installed alone (tests/integration/test_tarball.py). Like `units`,
# a run that collects no test fails (pytest exits 5).
integration: collection bed-deps
	$(BIN)/pytest -q tests/integration

docs: collection
	$(BIN)/ansible-doc -t role novaops.compute.nova_compute | grep -q nova_compute_transport_url
	$(BIN)/ansible-doc -t role novaops.compute.nova_compute | grep -q nova_compute_neutron_password
	$(BIN)/ansible-doc -t role novaops.compute.nova_compute | grep -q nova_compute_release
	$(BIN)/ansible-doc -t role novaops.compute.vnc_client | grep -q vnc_client_x11_forwarding
	$(BIN)/ansible-doc -t module novaops.compute.vnc_check | grep -q security_types
	$(BIN)/ansible-doc -t module novaops.compute.vnc_check | grep -q console_address
	$(BIN)/ansible-doc -t module novaops.compute.vnc_check | grep -q application_credential_secret
	$(BIN)/ansible-doc -t module novaops.compute.domiflist_info | grep -q port_id_prefix
	$(BIN)/ansible-doc -t module novaops.compute.node_health_info | grep -q failed_layer
	$(BIN)/ansible-doc -t module novaops.compute.node_health_info | grep -q application_credential_secret
	$(BIN)/ansible-doc -t module novaops.compute.console_endpoints_info | grep -q loopback_endpoints
	$(BIN)/ansible-doc -t module novaops.compute.console_endpoints_info | grep -q instance_uuid
	$(BIN)/ansible-doc -t module novaops.compute.image_cache_info | grep -q removal_expected
	$(BIN)/ansible-doc -t module novaops.compute.guest_info | grep -q started_behind_novas_back
	$(BIN)/ansible-doc -t module novaops.compute.node_state_info | grep -q link_target
	$(BIN)/ansible-doc -t filter novaops.compute.inventory_report | grep -q image_cache_info
	$(BIN)/ansible-doc -t module novaops.compute.nova_conf_lint | grep -q shared_instances_path
	$(BIN)/ansible-doc -t module novaops.compute.nova_conf_lint | grep -q removed_in
	$(BIN)/ansible-doc -t filter novaops.compute.nova_conf_migration | grep -q compute_only
	$(BIN)/python tools/check-filter-docs.py
	$(BIN)/python tools/role-vars-table.py --check
	$(BIN)/antsibull-docs lint-collection-docs --plugin-docs --validate-collection-refs dependent .

# The fragments, changelog.yaml, a release for galaxy.yml's version, and a
# CHANGELOG.rst that is what antsibull-changelog generates from them.
changelog: venv
	$(BIN)/antsibull-changelog lint
	$(BIN)/antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml
	@$(BIN)/python -c 'import sys, yaml; \
	  releases = yaml.safe_load(open("changelogs/changelog.yaml"))["releases"] or {}; \
	  sys.exit(None if "$(VERSION)" in releases else "galaxy.yml says $(VERSION), a version changelogs/changelog.yaml" \
	           " has no release for: cut it with antsibull-changelog release --reload-plugins (README: Publishing)")'
	@mkdir -p .cache && $(BIN)/antsibull-changelog generate --output .cache/CHANGELOG.rst --output-format rst
	@cmp -s .cache/CHANGELOG.rst CHANGELOG.rst || { diff -u CHANGELOG.rst .cache/CHANGELOG.rst | head -40 || true; \
	  echo "CHANGELOG.rst is stale: run antsibull-changelog generate"; exit 1; }
	@unreleased=$$(ls changelogs/fragments | grep -E '\.ya?ml$$' || true); \
	  [ -z "$$unreleased" ] || echo "note: unreleased fragments (the next release holds them):" $$unreleased

build: collection
	mkdir -p build
	$(BIN)/ansible-galaxy collection build --force --output-path build .

# galaxy-importer, in a venv of its own, on the tarball `make build` made, as
# Galaxy would run it on an upload (tools/galaxy-importer/galaxy-importer.cfg:
# what needs a container engine is off). Any ERROR, any WARNING not in
# tools/galaxy-importer/allowed-warnings.txt, or a module or filter without
# documentation for Galaxy fails it.
$(IMPORTER_VENV)/.installed: tools/galaxy-importer/requirements.txt requirements-dev.txt | deps
	$(PYTHON) -m venv $(IMPORTER_VENV)
	$(IMPORTER_VENV)/bin/pip install -q --upgrade pip
	$(IMPORTER_VENV)/bin/pip install -q -r tools/galaxy-importer/requirements.txt '$(ANSIBLE_CORE)' '$(ANSIBLE_LINT)'
	touch $@

publish-check: build $(IMPORTER_VENV)/.installed
	$(IMPORTER_VENV)/bin/python tools/galaxy-importer/check.py $(TARBALL) \
	  $(VENV)/lib/python3.11/site-packages/ansible_collections $(ROOT)/.cache/importer-run

# The bed's base image (Debian $(DISTRO) + systemd, debootstrap + podman
# import), rebuilt only when tools/build-base-image.sh changes.
image: deps
	DISTRO=$(DISTRO) tools/build-base-image.sh

# The execution environment (execution-environment.yml): ansible-builder,
# from its own venv, builds it with podman on the base image from the
# collection's tarball; rebuilt only when its inputs change (tools/build-ee.sh).
$(EE_VENV)/.installed: tools/ee/requirements-builder.txt | deps
	$(PYTHON) -m venv $(EE_VENV)
	$(EE_VENV)/bin/pip install -q -r tools/ee/requirements-builder.txt
	touch $@

ee: build image $(EE_VENV)/.installed
	ANSIBLE_BUILDER=$(EE_VENV)/bin/ansible-builder tools/build-ee.sh

# The guest the bed's Nova boots (a kernel, busybox and a banner on its
# console), built from Debian packages and cached by the script's hash.
guest-image: deps
	tools/build-guest-image.sh

# The real test bed, once (the scenario destroys what it created, even when a
# step fails): a bare compute1 joins the cloud, idempotently; then, on the
# same bed, bad input changes nothing and real faults are diagnosed and
# healed (molecule/faults/tests, run by the default scenario's verify).
# `molecule test -s faults` still runs those alone on a bed of their own.
molecule: collection image guest-image bed-deps
	$(MOLECULE) test -s default

# The default scenario's joining checks (the node joins, placement,
# idempotence, check mode: molecule/join) on Debian 13, Nova 31, on a bed of
# its own beside the default one: containers d13-controller and d13-compute1
# on 10.89.78.0/24 (.config/molecule/config.yml), so `make test` runs both.
molecule-debian13: collection guest-image bed-deps
	$(MAKE) --no-print-directory image DISTRO=debian13
	cd $(ROOT) && NOVAOPS_DISTRO=debian13 NOVAOPS_BED_PREFIX=d13- NOVAOPS_BED_NET=10.89.78 \
	  $(BIN)/molecule test -s join

demo: collection image guest-image bed-deps
	$(MOLECULE) create -s default
	$(MOLECULE) converge -s default
	$(MOLECULE) side-effect -s default

demo-clean: venv
	$(MOLECULE) destroy -s default

# Everything, in two lanes once what both need is installed: Debian 12's bed
# (molecule: mostly its containers' dpkg and services, then waits on Nova)
# next to the checks that need no bed (one core each, one after the other)
# and then Debian 13's joining checks on a bed of their own. Each lane's
# output is printed when the lane ends (--output-sync), so the two never
# interleave.
test: collection image guest-image bed-deps $(SANITY_VENV)/.installed
	$(MAKE) --no-print-directory image DISTRO=debian13
	$(MAKE) --no-print-directory -j2 --output-sync=target checks-then-debian13 molecule

checks-then-debian13:
	$(MAKE) --no-print-directory checks
	$(MAKE) --no-print-directory molecule-debian13

# `ee` first: the bed's verify runs site.yml and diagnose.yml from that image
# (molecule/default/tests/test_execution_environment.py), about 20 minutes
# into the bed lane; a cold build takes about 4.
checks:
	$(MAKE) --no-print-directory -j1 ee lint sanity units integration docs changelog build publish-check

clean:
	rm -rf build .cache/collections .cache/importer-run .cache/CHANGELOG.rst tests/output
