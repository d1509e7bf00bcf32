"""Unit tests for plugin_utils/_nova_release.py and its filters: which Nova
release the nova_compute role works with, from nova_compute_release and what
it read on the node."""

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.novaops.compute.plugins.filter.nova_compute_release import nova_compute_release
from ansible_collections.novaops.compute.plugins.filter.nova_release_info import nova_release_info
from ansible_collections.novaops.compute.plugins.module_utils import _nova_options, _nova_releases
from ansible_collections.novaops.compute.plugins.plugin_utils import _nova_conf
from ansible_collections.novaops.compute.plugins.plugin_utils import _nova_release as nr

SUPPORTED = "26 (2022.2 Zed), 31 (2025.1 Epoxy)"
# package_facts' entries as the apt and rpm back ends give them
DEBIAN_13 = [{"name": "nova-common", "version": "2:31.0.0-6+deb13u3", "arch": "all", "category": "net",
              "origin": "Debian", "source": "apt"}]
DEBIAN_12 = [{"name": "nova-common", "version": "2:26.2.2-1~deb12u5", "arch": "all", "source": "apt"}]
RDO_27 = [{"name": "openstack-nova-common", "version": "27.5.1", "release": "1.el9", "epoch": "1",
           "arch": "noarch", "source": "rpm"}]
APT_POLICY_31 = """nova-common:
  Installed: (none)
  Candidate: 2:31.0.0-6+deb13u3
  Version table:
     2:31.0.0-6+deb13u3 500
        500 http://deb.debian.org/debian trixie/main amd64 Packages
"""
APT_POLICY_NONE = "nova-common:\n  Installed: (none)\n  Candidate: (none)\n  Version table:\n"


def probe(installed=None, candidate=None, package="nova-common", manager="apt"):
    return {"package": package, "installed": installed, "candidate": candidate, "manager": manager}


def test_the_installed_package_says_the_release():
    got = nr.choose_release("auto", probe(DEBIAN_13, APT_POLICY_31))
    assert got["release"] == "31" and got["error"] is None
    assert got["label"] == "Nova 31 (2025.1 Epoxy)"
    assert got["message"] == "Nova 31 (2025.1 Epoxy), from the installed nova-common 2:31.0.0-6+deb13u3"


def test_debian_12():
    got = nr.choose_release("auto", probe(DEBIAN_12))
    assert got["message"] == "Nova 26 (2022.2 Zed), from the installed nova-common 2:26.2.2-1~deb12u5"


def test_else_the_candidate_says_it():
    got = nr.choose_release(None, probe(None, APT_POLICY_31))
    assert got["release"] == "31"
    assert got["message"] == ("Nova 31 (2025.1 Epoxy), from apt's candidate nova-common 2:31.0.0-6+deb13u3 "
                              "(not installed yet)")


def test_dnf_candidate():
    got = nr.choose_release("auto", probe([], "1:31.0.0-1.el9\n", "openstack-nova-common", "dnf"))
    assert got["release"] == "31" and "dnf's candidate openstack-nova-common 1:31.0.0-1.el9" in got["message"]


@pytest.mark.parametrize("setting", ["27", "banana", 27, True, 31.0, ["31"], "26.2"])
def test_a_release_without_data_is_refused_naming_the_variable_and_the_supported_ones(setting):
    got = nr.choose_release(setting, probe(DEBIAN_12))
    assert got["release"] is None
    assert got["error"].startswith("nova_compute_release is ")
    assert SUPPORTED in got["error"] and "auto" in got["error"]
    assert got["message"] == got["error"]


def test_the_error_quotes_the_setting():
    assert nr.choose_release("banana", probe())["error"].startswith("nova_compute_release is 'banana': it must be auto")
    assert nr.choose_release(True, probe())["error"].startswith("nova_compute_release is True: it must be auto")


@pytest.mark.parametrize("setting", ["31", 31, " 31 "])
def test_a_supported_release_is_taken_as_given(setting):
    got = nr.choose_release(setting, probe(None, APT_POLICY_NONE))
    assert got["release"] == "31" and got["error"] is None
    assert got["message"] == "Nova 31 (2025.1 Epoxy), as nova_compute_release says"


@pytest.mark.parametrize("setting", ["auto", "AUTO", "", None, " auto "])
def test_auto_spellings(setting):
    assert nr.choose_release(setting, probe(DEBIAN_12))["release"] == "26"


def test_a_given_release_that_the_installed_package_contradicts_is_refused():
    got = nr.choose_release("31", probe(DEBIAN_12))
    assert got["release"] is None
    assert got["error"] == (
        "nova_compute_release is 31 but the node's installed nova-common 2:26.2.2-1~deb12u5 is "
        "Nova 26 (2022.2 Zed): the role would write a nova.conf for a release the node does not run; "
        "set nova_compute_release to auto or 26")


def test_nothing_installed_and_no_candidate():
    got = nr.choose_release("auto", probe([], APT_POLICY_NONE))
    assert got["release"] is None
    assert got["error"] == (
        "nova_compute_release is auto but nova-common is not installed and apt offers no version of it, so "
        "the node's Nova release is unknown: enable the repository that ships Nova, or set nova_compute_release "
        "to one of " + SUPPORTED)


def test_nothing_installed_and_no_candidate_in_check_mode():
    got = nr.choose_release("auto", dict(probe([], APT_POLICY_NONE), check_mode=True))
    assert got["error"].endswith("(--check leaves the package index as it is: on a node whose index is empty, run "
                                 "without --check or set nova_compute_release)")


def test_an_unsupported_installed_release():
    got = nr.choose_release("auto", probe(RDO_27, None, "openstack-nova-common", "dnf"))
    assert got["error"] == (
        "nova_compute_release is auto and the installed openstack-nova-common 1:27.5.1-1.el9 is Nova 27; the "
        "collection has option data for %s only: install one of those, or set nova_compute_release" % SUPPORTED)


def test_an_unreadable_version():
    got = nr.choose_release("auto", probe("nova"))
    assert "the installed nova-common nova is not a Nova version the role can read" in got["error"]


@pytest.mark.parametrize("entries, version", [
    (DEBIAN_13, "2:31.0.0-6+deb13u3"),
    (RDO_27, "1:27.5.1-1.el9"),
    ([{"version": "31.0.0", "release": "1.el9", "epoch": None}], "31.0.0-1.el9"),
    ([{"version": "31.0.0", "release": "1.el9", "epoch": 0}], "31.0.0-1.el9"),
    ({"version": "26.2.2"}, "26.2.2"),
    ("2:26.2.2-1", "2:26.2.2-1"),
    ([], None), (None, None), ("", None), ([{"name": "x"}], None),
])
def test_installed_version(entries, version):
    assert nr.installed_version(entries) == version


@pytest.mark.parametrize("output, version", [
    (APT_POLICY_31, "2:31.0.0-6+deb13u3"),
    (APT_POLICY_NONE, None),
    ("", None), (None, None),
    ("1:31.0.0-1.el9\n", "1:31.0.0-1.el9"),
    ("31.0.0-1.el9", "31.0.0-1.el9"),
    ("Error: No matching repo to modify: x.\n", None),
])
def test_candidate_version(output, version):
    assert nr.candidate_version(output) == version


def test_the_filter():
    assert nova_compute_release("auto", probe(DEBIAN_13))["release"] == "31"
    assert nova_compute_release("27")["error"].startswith("nova_compute_release is '27'")


@pytest.mark.parametrize("release", _nova_releases.SUPPORTED)
def test_nova_release_info(release):
    info = nova_release_info(release)
    data = _nova_releases.opt_data(release)
    assert info == {"release": release, "label": _nova_releases.label(release), "nova_version": data["nova_version"],
                    "namespaces": data["namespaces"], "filters": data["filters"]}


def test_nova_release_info_namespaces():
    """Debian 13's sample nova.conf has 4 namespaces more than Debian 12's."""
    extra = set(nova_release_info("31")["namespaces"]) - set(nova_release_info(26)["namespaces"])
    assert extra == {"os_brick", "os_vif", "oslo.db", "oslo.versionedobjects"}
    assert len(nova_release_info("31")["namespaces"]) == 17


def test_nova_release_info_refuses_a_release_without_data():
    with pytest.raises(AnsibleFilterError, match="26 \\(Zed\\), 31 \\(Epoxy\\)"):
        nova_release_info("27")


def test_label():
    assert _nova_releases.label("26") == "Nova 26 (2022.2 Zed)"
    assert _nova_releases.label(31) == "Nova 31 (2025.1 Epoxy)"
    assert _nova_releases.label("27") == "Nova 27"
    assert set(_nova_releases.SERIES) == set(_nova_releases.SUPPORTED)


# Overrides of names another supported release has

def test_a_section_another_release_has_is_named_with_it():
    errors = _nova_conf.check_overrides({"hyperv": {"vswitch_name": "br0"}, "rdp": {"enabled": True}}, "31")
    assert errors == [
        "nova_compute_nova_conf_overrides: [hyperv] is not a section Nova 31 knows (a section of Nova 26, removed since)",
        "nova_compute_nova_conf_overrides: [rdp] is not a section Nova 31 knows (a section of Nova 26, removed since)",
    ]
    assert _nova_conf.check_overrides({"hyperv": {"vswitch_name": "br0"}}, "26") == []


def test_an_option_another_release_has_is_named_with_it():
    data = {r: _nova_releases.opt_data(r)["options"] for r in _nova_releases.SUPPORTED}
    removed = sorted((s, o) for s in data["26"] if s in data["31"] for o in data["26"][s]
                     if o not in data["31"][s] and o not in _nova_releases.opt_data("31")["deprecated"].get(s, {}))
    new = sorted((s, o) for s in data["31"] if s in data["26"] for o in data["31"][s]
                 if o not in data["26"][s] and o not in _nova_releases.opt_data("26")["deprecated"].get(s, {}))
    assert removed and new
    (section, option), (new_section, new_option) = removed[0], new[0]
    errors = _nova_conf.check_overrides({section: {option: "1"}}, "31")
    assert len(errors) == 1 and errors[0].endswith("(an option of Nova 26, removed since)"), errors
    errors = _nova_conf.check_overrides({new_section: {new_option: "1"}}, "26")
    assert len(errors) == 1 and errors[0].endswith("(an option of Nova 31, new after Nova 26)"), errors


def test_the_option_module_needs_no_other_release():
    errors = _nova_options.check_overrides({"hyperv": {"vswitch_name": "br0"}}, _nova_releases.opt_data("31"), "31")
    assert len(errors) == 1 and errors[0].startswith("overrides: [hyperv] is not a section Nova 31 knows")
    assert "removed since" not in errors[0]
