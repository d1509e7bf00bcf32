"""compute1 runs the Nova release of the bed's distribution (NOVAOPS_DISTRO,
.config/molecule/config.yml's bed_distro): the joining tests that follow are
about that release, not one the bed fell back to."""

from ansible_collections.novaops.compute.plugins.module_utils import _nova_releases

testinfra_hosts = ["compute1"]

# What each base image (tools/build-base-image.sh) ships.
RELEASES = {"debian12": ("12", "26"), "debian13": ("13", "31")}


def test_compute1_runs_the_nova_release_of_the_beds_distribution(host):
    distro = host.ansible.get_variables()["bed_distro"]
    debian, nova = RELEASES[distro]
    assert host.system_info.distribution == "debian" and host.system_info.release.split(".")[0] == debian
    version = host.package("nova-common").version
    assert _nova_releases.release_of_version(version) == nova, version
