"""What the modules' tests share: an AnsibleModule whose exit and fail raise
``Exit`` (result and whether it failed), whose commands are answered from a
table, and ``run_module`` to call a module's main() with its arguments."""

import os
import types

import pytest

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args


class Exit(Exception):
    def __init__(self, failed, result):
        super().__init__(result)
        self.failed = failed
        self.result = result


def run_module(module, args):
    """``Exit`` of MODULE's main() with ARGS (its result and whether it failed)."""
    with patch_module_args(args):
        with pytest.raises(Exit) as exc:
            module.main()
    return exc.value


@pytest.fixture
def answered_module(monkeypatch):
    """AnsibleModule with commands answered from ``state.answers`` (by the
    command's basename: ``(rc, stdout, stderr)``; else ``state.unanswered``),
    found on PATH when in ``state.bins``; ``state.calls`` and ``state.warnings`` record what it did."""
    state = types.SimpleNamespace(calls=[], warnings=[], answers={}, bins=set(), unanswered=(1, "", "not answered"))

    def run_command(self, args, **kwargs):
        assert isinstance(args, list), "argv list, never a shell string"
        assert self.run_command_environ_update == {"LANGUAGE": "C", "LC_ALL": "C"}  # node_module's
        state.calls.append(args)
        return state.answers.get(os.path.basename(args[0]), state.unanswered)

    def exit_json(self, **kwargs):
        raise Exit(False, kwargs)

    def fail_json(self, **kwargs):
        raise Exit(True, kwargs)

    monkeypatch.setattr(basic.AnsibleModule, "run_command", run_command)
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", lambda self, name, required=False, opt_dirs=None:
                        "/usr/bin/" + name if name in state.bins else None)
    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)
    monkeypatch.setattr(basic.AnsibleModule, "warn", lambda self, msg: state.warnings.append(msg))
    return state
