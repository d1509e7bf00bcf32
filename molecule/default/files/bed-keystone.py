"""Bed fixture: keystone's service project, service users (admin in that
project), catalog services and endpoints, in one process.

One openstacksdk connection instead of one `openstack` CLI process per call
(about 30 of them, 3 to 5 s each on 2 cores). Idempotent: finds before it
creates, and prints CHANGED when it created anything. Reads the admin
credentials from clouds.yaml (cloud "bed") and what to create, passwords
included, from the root-only JSON file named as its argument (never the
passwords themselves on a command line).
"""

import json
import sys

import openstack


def main():
    with open(sys.argv[1], encoding="utf-8") as spec_file:
        spec = json.load(spec_file)
    conn = openstack.connect(cloud="bed")
    identity = conn.identity
    changed = []

    project = identity.find_project("service", domain_id="default")
    if project is None:
        project = identity.create_project(name="service", domain_id="default")
        changed.append("project service")
    admin = identity.find_role("admin")

    for user_spec in spec["users"]:
        user = identity.find_user(user_spec["name"], domain_id="default")
        if user is None:
            user = identity.create_user(name=user_spec["name"], domain_id="default",
                                        password=user_spec["password"])
            changed.append("user " + user_spec["name"])
        if not identity.validate_user_has_project_role(project, user, admin):
            identity.assign_project_role_to_user(project, user, admin)
            changed.append("role admin for " + user_spec["name"])

    for service_spec in spec["services"]:
        service = identity.find_service(service_spec["name"])
        if service is None:
            service = identity.create_service(name=service_spec["name"], type=service_spec["type"])
            changed.append("service " + service_spec["name"])
        for interface in ("public", "internal", "admin"):
            if not list(identity.endpoints(service_id=service.id, interface=interface)):
                identity.create_endpoint(service_id=service.id, interface=interface,
                                         url=service_spec["url"], region_id=spec["region"])
                changed.append("%s endpoint of %s" % (interface, service_spec["name"]))

    if changed:
        print("CHANGED: " + ", ".join(changed))


if __name__ == "__main__":
    main()
