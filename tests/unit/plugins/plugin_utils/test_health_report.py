"""The reports behind the health_line, health_report and health_summary
filters, on results node_health_info returned for real
(tests/unit/fixtures/health/module-runs/)."""

import json
import os

from ansible_collections.novaops.compute.plugins.plugin_utils import _health_report as f

RUNS = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "health", "module-runs")


def run(name):
    with open(os.path.join(RUNS, name + ".json"), encoding="utf-8") as fh:
        return json.load(fh)


def test_report_names_the_failed_layer_why_what_to_do_and_the_guests():
    lines = f.health_report(run("nova-stopped"), "compute1")
    assert lines[0] == "compute1: UNHEALTHY - nova_compute failed"
    assert lines[1].startswith("  why: nova-compute is stopped")
    assert lines[2] == "  do:  start nova-compute: systemctl start nova-compute (running guests are not affected)"
    assert lines[3].startswith("  guests still running: novaops-health-c1 (pid ")
    assert lines[4] == "  layers:"
    layer_lines = lines[5:]
    assert [line.split()[0] for line in layer_lines] == ["kvm", "qemu", "libvirt", "nova_compute", "control_plane"]
    assert layer_lines[3].split()[1] == "FAILED"
    assert layer_lines[4].split()[1] == "skipped"


def test_report_of_a_healthy_node_has_no_action():
    result = run("nova-stopped")
    result["diagnosis"] = {"failed_layer": None, "explanation": "every layer checked is healthy",
                           "action": None, "warnings": [], "guests_running": []}
    result["healthy"] = True
    lines = f.health_report(result, "compute1")
    assert lines[:3] == ["compute1: healthy", "  why: every layer checked is healthy", "  guests still running: none"]
    assert not any(line.startswith("  do:") for line in lines)


def test_line_and_summary():
    stopped = run("nova-stopped")
    line = f.health_line(stopped, "compute1")
    assert line.startswith("compute1: nova_compute failed - nova-compute is stopped")
    assert line.endswith("; do: start nova-compute: systemctl start nova-compute (running guests are not affected)")
    healthy = dict(stopped, healthy=True, diagnosis=dict(stopped["diagnosis"], failed_layer=None, action=None))
    summary = f.health_summary({"compute1": stopped, "compute2": healthy, "compute3": None})
    assert summary["healthy"] == ["compute2"]
    assert summary["unhealthy"] == [line, "compute3: not checked (unreachable?)"]


def test_a_failed_check_is_reported_with_its_message():
    failed = {"failed": True, "msg": "cloud=bed given but no clouds.yaml found on the node"}
    assert f.health_report(failed, "compute1") == [
        "compute1: not checked - cloud=bed given but no clouds.yaml found on the node"]


def test_report_adds_the_playbook_hint_the_node_side_advice_leaves_out():
    lines = f.health_report(run("broker-down"), "compute1")
    assert lines[2].startswith("  do:  RabbitMQ at localhost:5672, 127.0.0.2:5672 unreachable from this node")
    assert lines[3] == "  hint: the nova_compute role writes transport_url from nova_compute_transport_url"
    assert lines[4].startswith("  guests still running:")
    # activating but connected: nothing about the broker
    assert not any(line.startswith("  hint:") for line in f.health_report(run("activating-connected"), "c1"))
    assert not any(line.startswith("  hint:") for line in f.health_report(run("nova-stopped"), "c1"))
