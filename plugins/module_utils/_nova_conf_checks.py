# -*- coding: utf-8 -*-
# Copyright: contributors to the novaops.compute collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The semantic checks of nova.conf that the nova_compute role (on the
controller, over its variables) and nova_conf_lint (on the node, over a
nova.conf file) share, and the role variable that writes each option.

Pure: values in, messages out. Each check takes the names its messages use,
so the role names its variables and the lint names ``[section] option``.
No message shows a value that may hold credentials.
"""

from __future__ import annotations

import ipaddress
import math
import re

from ansible_collections.novaops.compute.plugins.module_utils import _urls
from ansible_collections.novaops.compute.plugins.module_utils._oslo_ini import has_line_break

# The variable of the nova_compute role that writes each nova.conf option
# (roles/nova_compute/vars/main.yml, __nova_compute_conf_base, and the
# keystoneauth sections); a unit test keeps the two in step. [vnc] enabled
# and [spice] enabled come from nova_compute_console.
ROLE_VARIABLES = {
    ("DEFAULT", "my_ip"): "nova_compute_my_ip",
    ("DEFAULT", "host"): "nova_compute_host",
    ("DEFAULT", "transport_url"): "nova_compute_transport_url",
    ("DEFAULT", "state_path"): "nova_compute_state_path",
    ("DEFAULT", "instances_path"): "nova_compute_instances_path",
    ("DEFAULT", "reserved_host_memory_mb"): "nova_compute_reserved_host_memory_mb",
    ("DEFAULT", "reserved_host_cpus"): "nova_compute_reserved_host_cpus",
    ("DEFAULT", "reserved_host_disk_mb"): "nova_compute_reserved_host_disk_mb",
    ("DEFAULT", "debug"): "nova_compute_debug",
    ("api_database", "connection"): "nova_compute_api_database_connection",
    ("database", "connection"): "nova_compute_database_connection",
    ("libvirt", "virt_type"): "nova_compute_virt_type",
    ("libvirt", "cpu_mode"): "nova_compute_cpu_mode",
    ("libvirt", "cpu_models"): "nova_compute_cpu_models",
    ("libvirt", "live_migration_scheme"): "nova_compute_live_migration_scheme",
    ("libvirt", "live_migration_inbound_addr"): "nova_compute_live_migration_inbound_addr",
    ("libvirt", "live_migration_permit_auto_converge"): "nova_compute_live_migration_permit_auto_converge",
    ("libvirt", "live_migration_permit_post_copy"): "nova_compute_live_migration_permit_post_copy",
    ("vnc", "enabled"): "nova_compute_console",
    ("vnc", "server_listen"): "nova_compute_vnc_server_listen",
    ("vnc", "server_proxyclient_address"): "nova_compute_vnc_server_proxyclient_address",
    ("vnc", "novncproxy_base_url"): "nova_compute_novncproxy_base_url",
    ("spice", "enabled"): "nova_compute_console",
    ("spice", "server_listen"): "nova_compute_spice_server_listen",
    ("spice", "server_proxyclient_address"): "nova_compute_spice_server_proxyclient_address",
    ("spice", "html5proxy_base_url"): "nova_compute_spice_html5proxy_base_url",
    ("oslo_concurrency", "lock_path"): "nova_compute_lock_path",
}
for _kind in ("cpu", "ram", "disk"):
    for _fmt in ("%s_allocation_ratio", "initial_%s_allocation_ratio"):
        ROLE_VARIABLES[("DEFAULT", _fmt % _kind)] = "nova_compute_" + _fmt % _kind
for _option in ("manager_interval", "subdirectory_name", "remove_unused_base_images",
                "remove_unused_original_minimum_age_seconds", "remove_unused_resized_minimum_age_seconds"):
    ROLE_VARIABLES[("image_cache", _option)] = "nova_compute_image_cache_" + _option
# The sections of the services nova-compute calls with keystoneauth's password
# plugin, each written from nova_compute_<section>_<option>.
KEYSTONEAUTH_SECTIONS = ("placement", "neutron")
KEYSTONEAUTH_OPTIONS = ("auth_url", "username", "password", "project_name", "user_domain_name",
                        "project_domain_name", "region_name", "valid_interfaces")
for _section in KEYSTONEAUTH_SECTIONS:
    for _option in KEYSTONEAUTH_OPTIONS:
        ROLE_VARIABLES[(_section, _option)] = "nova_compute_%s_%s" % (_section, _option)
del _kind, _fmt, _option, _section

# Options a service of the control plane reads from its own host's nova.conf:
# a compute node's copy has no effect. ([filter_scheduler]'s other options,
# such as track_instance_changes, and [neutron]'s keystoneauth options are
# read by nova-compute.)
CONTROLLER_ONLY = {
    ("filter_scheduler", "enabled_filters"): "nova-scheduler",
    ("filter_scheduler", "available_filters"): "nova-scheduler",
    # The metadata proxy: nova-api's metadata service checks the signature
    # neutron's metadata agent makes with the shared secret.
    ("neutron", "service_metadata_proxy"): "nova-api's metadata service",
    ("neutron", "metadata_proxy_shared_secret"): "nova-api's metadata service",
}
_CONTROLLER_WHERE = "%s reads it on the controllers, not nova-compute: set [%s] %s in the control plane's nova.conf"


def controller_where(section, option):
    """Where a CONTROLLER_ONLY option belongs, in words."""
    return _CONTROLLER_WHERE % (CONTROLLER_ONLY[(section, option)], section, option)


# --------------------------------------------------------------------------
# Small value tests
# --------------------------------------------------------------------------

def number(value, whole=False):
    """``value`` as an int or float, else None.

    Numeric strings count: ``-e nova_compute_cpu_allocation_ratio=8.0`` on
    the command line and nova.conf give strings. Booleans, NaN and infinity do not.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        pattern = r"[+-]?\d+" if whole else r"[+-]?(\d+(\.\d*)?|\.\d+)"
        if not re.fullmatch(pattern, value.strip(), re.ASCII):
            return None
        return int(value) if whole else float(value)
    if isinstance(value, int) or (isinstance(value, float) and not whole and math.isfinite(value)):
        return value
    return None


def ip(value):
    """``value`` as an IP address (brackets of an IPv6 one allowed), else None."""
    try:
        return ipaddress.ip_address(str(value).strip("[]"))
    except ValueError:
        return None


def is_loopback_host(host):
    """True for no host, localhost and loopback addresses."""
    if host is None:
        return True
    if str(host).lower() in ("localhost", "localhost.localdomain"):
        return True
    address = ip(host)
    return bool(address and address.is_loopback)


def shown(value):
    """A non-secret value for a message: left out when it may hold credentials or a line break."""
    text = str(value)
    if "@" in text or has_line_break(text):
        return ""
    return " (%s)" % text


def is_true(value):
    """oslo.config's reading of a boolean given as text (or a Python value)."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "on")
    return bool(value)


# --------------------------------------------------------------------------
# The checks
# --------------------------------------------------------------------------

def console_address_problems(listen, proxyclient, base_url, listen_name, client_name):
    """Problems with a console's listen and proxy-client addresses (VNC and SPICE alike).

    ``base_url`` is the console proxy's URL (its host tells a remote proxy);
    ``listen_name`` and ``client_name`` are what the messages call the two
    settings (the role's variables, or ``[vnc] server_listen`` ...).
    """
    errors = []
    listen_ip = ip(listen)
    if listen_ip is None:
        errors.append("%s%s must be an IP address (0.0.0.0, :: or one of the node's)" % (listen_name, shown(listen)))
    if proxyclient is None or str(proxyclient) == "":
        errors.append("%s is empty: set it to the node's management address" % client_name)
        return errors
    client_ip = ip(proxyclient)
    if client_ip is None and not _urls.is_host(proxyclient):
        errors.append("%s%s is neither an IP address nor a host name" % (client_name, shown(proxyclient)))
        return errors
    if client_ip is not None and client_ip.is_unspecified:
        errors.append("%s is %s: the console proxy cannot connect to a wildcard address; "
                      "use the node's management IP" % (client_name, proxyclient))
        return errors
    proxy_host = _urls.http_url_host(base_url)
    proxy_is_remote = proxy_host is not None and not is_loopback_host(proxy_host)
    if proxy_is_remote and is_loopback_host(proxyclient):
        errors.append("%s is %s but the console proxy (%s) runs on another host: "
                      "use the node's management IP" % (client_name, proxyclient, proxy_host))
    if proxy_is_remote and listen_ip is not None and listen_ip.is_loopback:
        errors.append("%s is %s: consoles would only answer on loopback while the console "
                      "proxy (%s) is another host; use 0.0.0.0 or the node's management IP"
                      % (listen_name, listen, proxy_host))
    if (listen_ip is not None and client_ip is not None and not listen_ip.is_unspecified
            and not listen_ip.is_loopback and listen_ip != client_ip):
        errors.append("%s (%s) must be 0.0.0.0, :: or the same address as %s (%s): the proxy "
                      "connects to the proxy-client address" % (listen_name, listen, client_name, proxyclient))
    return errors


def unknown_filters(filters, known):
    """The names in ``filters`` (a list or a comma-separated string) that are not
    in ``known`` (a release's scheduler filter class names), in their order.

    A dotted class path (an operator's own filter) and ``all_filters`` are
    not judged; nothing is when ``known`` is empty.
    """
    if not known:
        return []
    names = filters.split(",") if isinstance(filters, str) else list(filters or [])
    unknown = []
    for name in (str(n).strip() for n in names):
        if name and "." not in name and name not in known and name not in unknown:
            unknown.append(name)
    return unknown
