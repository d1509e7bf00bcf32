"""Tests for the domiflist_info module: main() against replayed virsh runs.

run_command is replaced by a fake that answers each argv with the stdout,
rc and stderr captured for exactly that argv by
tools/capture-fixtures/virsh/virsh-fixtures.sh, so the module's command lines are
checked against what was really run.
"""

import glob
import json
import os
import re
import types

import pytest

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.novaops.compute.plugins.module_utils import _virsh
from ansible_collections.novaops.compute.plugins.modules import domiflist_info

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "virsh")
VIRSH = "/usr/bin/virsh"
BOUND = ["/usr/bin/timeout", "-k", "5", "30"]  # every virsh runs under timeout(1), 30 s by default


class Exit(Exception):
    def __init__(self, failed, result):
        super().__init__(result)
        self.failed = failed
        self.result = result


def capture(name):
    """(argv, (rc, stdout, stderr)) of one captured run."""
    path = os.path.join(FIXTURES, name)
    with open(path + ".json", encoding="utf-8") as f:
        meta = json.load(f)
    with open(path + ".txt", encoding="utf-8") as f:
        out = f.read()
    return meta["argv"], (meta["rc"], out, meta["stderr"])


def load_captures():
    by_argv = {}
    for path in sorted(glob.glob(os.path.join(FIXTURES, "*.json"))):
        name = os.path.basename(path)[:-5]
        if name == "list-all-name-empty":  # same argv as list-all-name, taken after cleanup
            continue
        argv, answer = capture(name)
        by_argv[tuple(argv[1:])] = answer
    return by_argv


CAPTURES = load_captures()


@pytest.fixture
def virsh(monkeypatch):
    """Replays captured virsh runs; records every argv the module runs."""
    calls = []
    extra = {}

    def run_command(self, args, **kwargs):
        assert isinstance(args, list), "argv list, never a shell string"
        assert args[:4] == BOUND and args[4] == VIRSH
        assert self.run_command_environ_update == {"LANGUAGE": "C", "LC_ALL": "C"}
        args = args[4:]
        calls.append(args)
        key = tuple(args[1:])
        if key in extra:
            return extra[key]
        assert key in CAPTURES, "no capture for %r" % (args,)
        return CAPTURES[key]

    def exit_json(self, **kwargs):
        raise Exit(False, kwargs)

    def fail_json(self, **kwargs):
        raise Exit(True, kwargs)

    monkeypatch.setattr(basic.AnsibleModule, "run_command", run_command)
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path",
                        lambda self, name, required=False, opt_dirs=None: "/usr/bin/" + name)
    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)
    # the batch marker token the captures were made with
    monkeypatch.setattr(_virsh.uuid, "uuid4", lambda: types.SimpleNamespace(hex="fixture0"))
    return types.SimpleNamespace(calls=calls, extra=extra)


def run(args):
    with patch_module_args(args):
        with pytest.raises(Exit) as info:
            domiflist_info.main()
    return info.value


def names(result):
    return sorted(result["domains"])


ALL_NAMES = sorted([
    "novaops-fx-multi",
    "novaops-fx-noif",
    "novaops fx spaced name",
    "--novaops-fx-dashes",
    "novaops-fx-o'quote;\"semi",
    "novaops-fx-shutoff",
    "novaops-fx-ünïcode",
])


@pytest.mark.parametrize("check_mode", [False, True])
def test_all_domains_in_two_processes(virsh, check_mode):
    out = run({"all": True, "_ansible_check_mode": check_mode})
    assert not out.failed
    assert out.result["changed"] is False
    assert names(out.result) == ALL_NAMES
    domains = out.result["domains"]
    assert domains["novaops-fx-noif"] == []
    assert domains["--novaops-fx-dashes"] == []
    assert [i["port_id_prefix"] for i in domains["novaops-fx-multi"]] == ["3f2c1a9e-7b", None, None, None, None]
    assert [i["interface"] for i in domains["novaops-fx-multi"]] == [
        "tap3f2c1a9e-7b", "vnet12", "macvtap6", None, "vnet13"]
    assert domains["novaops fx spaced name"][0]["port_id_prefix"] == "a8e0c4d2-19"
    assert domains["novaops-fx-shutoff"][4]["source"] == "/run/novaops fx/vhu7e1d3b5a-0c"
    assert len(virsh.calls) == 2  # list + one batch, not one process per domain
    assert virsh.calls[0] == [VIRSH, "-c", "qemu:///system", "list", "--all", "--name"]


def test_all_domains_inactive(virsh):
    out = run({"all": True, "inactive": True})
    assert not out.failed
    multi = out.result["domains"]["novaops-fx-multi"]
    assert [i["interface"] for i in multi] == ["tap3f2c1a9e-7b", None, None, None, None]
    assert "--inactive" in virsh.calls[1][3]


def test_all_domains_none_defined(virsh):
    argv, answer = capture("list-all-name-empty")
    virsh.extra[tuple(argv[1:])] = answer
    out = run({"all": True})
    assert out.result == {"changed": False, "domains": {}}
    assert len(virsh.calls) == 1


def test_all_domains_skips_a_domain_undefined_meanwhile(virsh, monkeypatch):
    # The batch output is real (batch-with-vanished); the listing that would
    # have named the vanished domain and the lone rerun are reconstructed
    # from the captured shapes (domiflist-unknown).
    listing = "novaops-fx-noif\nnovaops-fx-vanished\nnovaops-fx-o'quote;\"semi\n\n"
    virsh.extra[("-c", "qemu:///system", "list", "--all", "--name")] = (0, listing, "")
    virsh.extra[("-c", "qemu:///system", "domiflist", "--domain", "novaops-fx-vanished")] = (
        1, "\n", "error: failed to get domain 'novaops-fx-vanished'\n")
    warnings = []
    monkeypatch.setattr(basic.AnsibleModule, "warn", lambda self, msg: warnings.append(msg))
    out = run({"all": True})
    assert not out.failed
    assert names(out.result) == ["novaops-fx-noif", "novaops-fx-o'quote;\"semi"]
    assert warnings == ["domain novaops-fx-vanished was undefined while being listed; left out"]


def test_single_domain_by_uuid_is_keyed_by_name(virsh):
    argv = capture("batch-single-by-uuid")[0]
    uuid = re.search(r"'dominfo' '--domain' '([0-9a-f-]{36})'", argv[3]).group(1)
    out = run({"domain": uuid})
    assert out.result == {"changed": False, "domains": {"novaops-fx-noif": []}}
    assert len(virsh.calls) == 1  # dominfo + domiflist in one process


def test_single_domain_with_spaces(virsh):
    out = run({"domain": "novaops fx spaced name"})
    assert out.result["domains"] == {
        "novaops fx spaced name": [{
            "interface": "tapa8e0c4d2-19",
            "type": "network",
            "source": "default",
            "model": "virtio",
            "mac": "52:54:00:4e:00:02",
            "port_id_prefix": "a8e0c4d2-19",
        }]
    }


def test_unknown_domain_fails_with_libvirts_message(virsh):
    out = run({"domain": "novaops-fx-does-not-exist"})
    assert out.failed
    assert out.result["msg"] == (
        "virsh domiflist failed for novaops-fx-does-not-exist: "
        "error: failed to get domain 'novaops-fx-does-not-exist'")
    assert out.result["rc"] == 1
    assert out.result["stdout"] == "\n"
    assert out.result["stderr"] == "error: failed to get domain 'novaops-fx-does-not-exist'\n"
    assert out.result["cmd"] == BOUND + [
        VIRSH, "-c", "qemu:///system", "domiflist", "--domain", "novaops-fx-does-not-exist"]


def test_no_daemon_fails_with_evidence(virsh):
    uri = "qemu:///system?socket=/nonexistent/libvirt-sock"
    rc, out, err = CAPTURES[("-c", uri, "domiflist", "--domain", "novaops-fx-multi")]
    virsh.extra[("-c", uri, "list", "--all", "--name")] = (rc, out, err)  # same failure, same daemon
    result = run({"all": True, "uri": uri})
    assert result.failed
    assert result.result["msg"].startswith("virsh list failed: error: failed to connect to the hypervisor")
    assert result.result["rc"] == 1
    assert result.result["stderr"] == err


def test_no_daemon_single_domain(virsh, monkeypatch):
    uri = "qemu:///system?socket=/nonexistent/libvirt-sock"
    rc, out, err = CAPTURES[("-c", uri, "domiflist", "--domain", "novaops-fx-multi")]

    def dead(self, args, **kwargs):
        virsh.calls.append(args[4:])
        return rc, out, err

    monkeypatch.setattr(basic.AnsibleModule, "run_command", dead)
    result = run({"domain": "novaops-fx-multi", "uri": uri})
    assert result.failed
    assert result.result["msg"].startswith("virsh failed: error: failed to connect to the hypervisor")
    assert len(virsh.calls) == 1


@pytest.mark.parametrize(
    "args",
    [{}, {"all": False}, {"domain": ""}, {"domain": "x", "all": True}],
)
def test_exactly_one_of_domain_and_all(virsh, args):
    out = run(args)
    assert out.failed
    assert out.result["msg"] == "exactly one of domain and all=true is required"
    assert virsh.calls == []


def test_a_hung_libvirt_is_cut_off_by_the_timeout(virsh, monkeypatch):
    calls = []

    def hung(self, args, **kwargs):
        calls.append(args)
        return 124, "", ""

    monkeypatch.setattr(basic.AnsibleModule, "run_command", hung)
    out = run({"all": True, "timeout": 7})
    assert out.failed
    assert out.result["msg"] == "virsh list failed: no answer within 7s"
    assert calls == [["/usr/bin/timeout", "-k", "5", "7", VIRSH, "-c", "qemu:///system", "list", "--all", "--name"]]
    assert out.result["cmd"] == calls[0] and out.result["rc"] == 124


def test_timeout_must_be_positive(virsh):
    out = run({"all": True, "timeout": 0})
    assert out.failed and out.result["msg"] == "timeout must be more than 0, got 0"
    assert virsh.calls == []
