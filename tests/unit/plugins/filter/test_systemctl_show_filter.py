"""systemctl_show: the role's one-task read of the libvirt units' state."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.novaops.compute.plugins.filter.systemctl_show import systemctl_show

# compute1 of the bed (Debian 12, systemd 252.39-1~deb12u2), libvirtd.socket stopped:
# systemctl show --property=Id,UnitFileState,ActiveState -- libvirtd libvirtd.socket virtlogd.socket
SHOWN = """Id=libvirtd.service
ActiveState=inactive
UnitFileState=enabled

Id=libvirtd.socket
ActiveState=inactive
UnitFileState=enabled

Id=virtlogd.socket
ActiveState=active
UnitFileState=enabled
"""


def test_units_by_id_and_services_by_short_name():
    units = systemctl_show(SHOWN)
    assert units["libvirtd.service"] is units["libvirtd"]
    assert units["libvirtd.socket"]["ActiveState"] == "inactive"
    assert units["virtlogd.socket"] == {"Id": "virtlogd.socket", "ActiveState": "active", "UnitFileState": "enabled"}


def test_a_service_named_like_a_socket_keeps_its_own_entry():
    shown = SHOWN + "\nId=virtlogd.service\nActiveState=active\nUnitFileState=static\n"
    units = systemctl_show(shown)
    assert units["virtlogd"]["Id"] == "virtlogd.service"
    assert units["virtlogd.socket"]["Id"] == "virtlogd.socket"


def test_not_systemctl_output_is_an_error_naming_the_filter():
    with pytest.raises(AnsibleFilterError, match="systemctl_show"):
        systemctl_show("ActiveState=active\n")
