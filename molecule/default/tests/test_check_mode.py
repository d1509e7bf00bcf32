"""A check-mode run with --diff against the converged bed shows no piece of a
new password. (The full check-mode run, nothing to change and no secret in
its -v output, runs from the execution environment, as AWX runs it:
test_execution_environment.py.)"""

import json

from conftest import ansible_playbook, assert_no_piece, assert_no_secret

testinfra_hosts = ["compute1"]


def test_check_diff_of_a_new_password_with_at_and_space_shows_no_piece_of_it(host, tmp_path):
    """oslo.messaging takes the user's password up to the last '@' of a host entry, spaces and all:
    the masked diff must too (a regex stopping at the first '@' showed the tail). nova.conf alone
    (--tags config) is what the new password changes."""
    secret = "Gh5@Tn 8vLw@Qe"
    case = tmp_path / "case.json"
    case.write_text(json.dumps({"nova_compute_transport_url": "rabbit://nova:%s@controller:5672/" % secret}))
    before = host.check_output("sha256sum /etc/nova/nova.conf")
    rc, output = ansible_playbook("site.yml", "--limit", "compute1", "--tags", "config", "--check", "--diff",
                                  "-vvv", "-e", "@%s" % case)
    assert rc == 0, output[-3000:]
    assert_no_secret(output)
    assert_no_piece(output, secret)
    assert host.check_output("sha256sum /etc/nova/nova.conf") == before
