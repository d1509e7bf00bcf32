"""A check-mode run with --diff against the converged bed: nothing to change,
and no secret in its output."""

from conftest import ansible_playbook, assert_no_secret, recap

testinfra_hosts = ["compute1"]


def test_check_diff_run_changes_nothing_and_shows_no_secret(host):
    rc, output = ansible_playbook("site.yml", "--check", "--diff", "-v")
    assert rc == 0, output[-3000:]
    assert_no_secret(output)
    assert "changed=0" in recap(output, "compute1"), recap(output, "compute1")
