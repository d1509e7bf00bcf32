"""The bed's bad-input cases that the role's checks (validate.yml) refuse without
the node: each names its variable, and at -vvv, Ansible's most talkative level,
no 4-character piece of the secret shows. The bed (molecule/faults/tests/
test_bad_input.py) runs one case of each kind, not repeated here, through
site.yml against compute1, where it also proves that nothing on the node
changes.

Passwords hold the characters oslo.messaging splits a transport URL on, values
hold line breaks, qemu.conf values libvirt's syntax cannot carry, URLs are
malformed."""

import pytest
from test_validate import run_check

RABBIT_SECRET = "RABBIT_SECRET"  # GOOD's, so the masking is proven on it

CASES = [
    ("negative-ratio", {"nova_compute_cpu_allocation_ratio": -2.0},
     "nova_compute_cpu_allocation_ratio must be greater than 0, got -2.0"),
    ("virt-type-xen", {"nova_compute_virt_type": "xen"}, "nova_compute_virt_type"),
    ("transport-url-no-host", {"nova_compute_transport_url": "rabbit://nova:%s@/" % RABBIT_SECRET},
     "nova_compute_transport_url is not a valid transport URL: host 1 is empty"),
    ("database-unknown-dialect",
     {"nova_compute_database_connection": "oracle://nova:%s@controller/nova" % RABBIT_SECRET},
     "nova_compute_database_connection (oracle://nova:********@controller/nova) uses the unknown dialect 'oracle'"),
    # nova-scheduler reads its filters from the controllers' nova.conf, never a compute node's
    ("scheduler-filters-on-a-compute-node", {"nova_compute_scheduler_enabled_filters": ["ComputeFilter"]},
     "nova_compute_scheduler_enabled_filters is not a nova_compute setting any more: nova-scheduler reads it "
     "on the controllers"),
    ("override-wrong-type", {"nova_compute_nova_conf_overrides": {"DEFAULT": {"reserved_host_cpus": "two"}}},
     "nova_compute_nova_conf_overrides: [DEFAULT] reserved_host_cpus is an integer option, got 'two'"),
    ("proxyclient-wildcard", {"nova_compute_vnc_server_proxyclient_address": "0.0.0.0"},
     "nova_compute_vnc_server_proxyclient_address is 0.0.0.0"),
    ("my-ip-invalid", {"nova_compute_my_ip": "10.89.77.300"},
     "nova_compute_my_ip (10.89.77.300) is not a valid IP address"),
    ("reserved-memory-negative", {"nova_compute_reserved_host_memory_mb": -512},
     "nova_compute_reserved_host_memory_mb must be 0 or more, got -512"),
    ("novncproxy-url-without-scheme", {"nova_compute_novncproxy_base_url": "controller:6080/vnc_auto.html"},
     "nova_compute_novncproxy_base_url (controller:6080/vnc_auto.html) must be an http:// or https:// URL"),
    ("image-cache-interval", {"nova_compute_image_cache_manager_interval": -5},
     "nova_compute_image_cache_manager_interval must be a whole number >= -1"),
    # Releases: only those the collection has option data for, and only the node's own.
    ("release-27", {"nova_compute_release": "27"},
     "nova_compute_release is '27': it must be auto (the release of the node's nova-common) or one of the "
     "releases the collection has option data for: 26 (2022.2 Zed), 31 (2025.1 Epoxy)"),
    ("release-banana", {"nova_compute_release": "banana"},
     "nova_compute_release is 'banana': it must be auto (the release of the node's nova-common) or one of the "
     "releases the collection has option data for: 26 (2022.2 Zed), 31 (2025.1 Epoxy)"),
    ("release-not-the-nodes", {"nova_compute_release": "31"},
     "nova_compute_release is 31 but the node's installed nova-common 2:26.2.2-1~deb12u5 is Nova 26 (2022.2 Zed)"),
    ("release-unknown", {"__nova_compute_release_probe": {"package": "nova-common", "manager": "apt",
                                                          "installed": None, "candidate": "  Candidate: (none)"}},
     "nova_compute_release is auto but nova-common is not installed and apt offers no version of it"),
    ("release-unsupported", {"__nova_compute_release_probe": {"package": "nova-common", "manager": "apt",
                                                              "installed": "2:27.0.0-1", "candidate": None}},
     "nova_compute_release is auto and the installed nova-common 2:27.0.0-1 is Nova 27; the collection has "
     "option data for 26 (2022.2 Zed), 31 (2025.1 Epoxy) only"),
]

# (name, extra vars, fragments the output must hold, a secret no piece of which may show).
# A password holding / ? # , [ or ] unencoded is cut where oslo.messaging
# cuts it: refused before the node changes, with a hint to percent-encode it.
SECRET = "Zq7%sKp9Wx"
PASSWORD_CASES = [
    ("transport-url-password-%s" % name,
     {"nova_compute_transport_url": "rabbit://nova:%s@controller:5672/" % (SECRET % char)},
     ["nova_compute_transport_url", "percent-encode"], SECRET % char)
    for name, char in (("question-mark", "?"), ("hash", "#"), ("comma", ","),
                       ("bracket", "["), ("closing-bracket", "]"))
]
BROKEN_URL_CASES = [
    ("transport-url-unclosed-ipv6", {"nova_compute_transport_url": "rabbit://nova:Vb3kR8pQ@[fd00::1:5672/"},
     ["nova_compute_transport_url"], "Vb3kR8pQ"),
    ("auth-url-unclosed-ipv6", {"nova_compute_placement_auth_url": "http://[fd00::5:5000/v3"},
     ["nova_compute_placement_auth_url"], None),
]
LINE_BREAK = "\n[DEFAULT]\ndebug = true"
LINE_BREAK_CASES = [
    ("line-break-in-a-string", {"nova_compute_host": "compute1" + LINE_BREAK}, ["nova_compute_host"], None),
    ("line-break-in-a-list", {"nova_compute_cpu_mode": "custom",
                              "nova_compute_cpu_models": ["Haswell", "Broadwell" + LINE_BREAK]},
     ["nova_compute_cpu_models"], None),
    ("line-break-in-a-dict", {"nova_compute_oslo_policy": {"enforce_scope": "false" + LINE_BREAK}},
     ["nova_compute_oslo_policy"], None),
    ("line-break-in-an-override", {"nova_compute_nova_conf_overrides": {"DEFAULT": {"host": "c1" + LINE_BREAK}}},
     ["nova_compute_nova_conf_overrides"], None),
    ("line-break-in-a-qemu-conf-value", {"nova_compute_libvirt_qemu_conf": {"stdio_handler": "logd\nuser = \"root\""}},
     ["nova_compute_libvirt_qemu_conf", "stdio_handler"], None),
    ("line-break-in-a-qemu-conf-key", {"nova_compute_libvirt_qemu_conf": {"user\ngroup": "root"}},
     ["nova_compute_libvirt_qemu_conf"], None),
]
QEMU_CONF_CASES = [
    ("qemu-conf-both-quotes", {"nova_compute_libvirt_qemu_conf": {"stdio_handler": "it's \"logd\""}},
     ["nova_compute_libvirt_qemu_conf", "stdio_handler"], None),
    ("qemu-conf-mapping", {"nova_compute_libvirt_qemu_conf": {"namespaces": {"mount": True}}},
     ["nova_compute_libvirt_qemu_conf", "namespaces"], None),
    ("qemu-conf-float", {"nova_compute_libvirt_qemu_conf": {"max_core": 1.5}},
     ["nova_compute_libvirt_qemu_conf", "max_core"], None),
]
VERBOSE_CASES = PASSWORD_CASES + BROKEN_URL_CASES + LINE_BREAK_CASES + QEMU_CONF_CASES


def pieces(secret, size=4):
    return {secret[i:i + size] for i in range(len(secret) - size + 1)}


@pytest.mark.parametrize("extra_vars, fragment", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_bad_input_is_refused_naming_the_variable(tmp_path, run_case_playbook, extra_vars, fragment):
    rc, output = run_check(run_case_playbook, tmp_path, **extra_vars)
    assert rc != 0, output[-3000:]
    assert fragment in output or fragment in " ".join(output.split()), output[-3000:]


@pytest.mark.parametrize("extra_vars, fragments, secret", [c[1:] for c in VERBOSE_CASES],
                         ids=[c[0] for c in VERBOSE_CASES])
def test_bad_input_at_vvv_shows_no_piece_of_a_secret(tmp_path, run_case_playbook, extra_vars, fragments, secret):
    rc, output = run_check(run_case_playbook, tmp_path, "-vvv", **extra_vars)
    assert rc != 0, output[-3000:]
    for fragment in fragments:
        assert fragment in output, output[-3000:]
    if secret:
        for text in (secret, secret.encode("unicode_escape").decode("ascii")):
            leaked = sorted(p for p in pieces(text) if p in output)
            assert leaked == [], "pieces of a secret in the output: %s" % leaked
