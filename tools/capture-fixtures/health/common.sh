# shellcheck shell=bash
# The variables below are used by the scripts that source this file.
# shellcheck disable=SC2034
# Shared by the capture scripts in this folder: the command lines
# node_health_info runs (keep in step with plugins/modules/node_health_info.py).

HEALTH_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HEALTH_ROOT=$(cd "$HEALTH_HERE/../../.." && pwd)
export LC_ALL=C LANGUAGE=C

SYSTEMCTL_PROPS=Id,LoadState,ActiveState,SubState,UnitFileState,Type,Result,MainPID,ExecMainPID,ExecMainStatus,NRestarts,ActiveEnterTimestamp,StateChangeTimestamp
AUTO_UNITS=(nova-compute.service libvirtd.service libvirtd.socket virtqemud.service virtqemud.socket)
SYSTEMCTL_SHOW=(/usr/bin/systemctl show "--property=$SYSTEMCTL_PROPS" --)
SS=(/usr/bin/ss -tnpH)
VIRSH_TIMEOUT=10

# The one virsh command string the module runs for the libvirt layer; with
# domain names, the one that reads their XML (Virsh.nova_servers).
# shellcheck disable=SC2120  # common.sh itself calls it without domains
virsh_batch() { # [DOMAIN...]
    python3 - "$HEALTH_ROOT/plugins/module_utils/_virsh.py" "$@" <<'PY'
import importlib.util, sys
spec = importlib.util.spec_from_file_location("_virsh", sys.argv[1])
virsh = importlib.util.module_from_spec(spec)
spec.loader.exec_module(virsh)
commands = [["version"], ["list", "--all", "--name"], ["list", "--name"]]
if sys.argv[2:]:
    commands = [["dumpxml", "--domain", name] for name in sorted(sys.argv[2:])]
sys.stdout.write(virsh.build_batch(commands, "fixture0"))  # token the unit tests replay
PY
}

virsh_argv() { # URI
    # shellcheck disable=SC2119  # the libvirt layer's batch: no domains
    VIRSH_ARGV=(/usr/bin/timeout -k 5 "$VIRSH_TIMEOUT" /usr/bin/virsh -c "$1" "$(virsh_batch)")
}

# A small disk-less guest: 64 MiB, boots from the network without a NIC
# (so it never sends a packet), VNC on 127.0.0.1 only.
domain_xml() { # NAME TYPE(kvm|qemu)
    cat <<XML
<domain type='$2'>
  <name>$1</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='network'/></os>
  <devices>
    <graphics type='vnc' autoport='yes' listen='127.0.0.1'/>
    <video><model type='cirrus'/></video>
  </devices>
</domain>
XML
}
