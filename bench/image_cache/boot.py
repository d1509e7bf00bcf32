"""Boot one server through the Compute API and time it to ACTIVE (runs in the bed's controller).

Usage: python3 boot.py NAME IMAGE_ID FLAVOR NETWORK -> prints JSON {id, seconds, requested}
(seconds: from the create request to the first answer that says ACTIVE,
polled every 0.2 s with openstacksdk; clouds.yaml cloud "bed").
"""

import json
import sys
import time

import openstack


def main():
    name, image, flavor, network = sys.argv[1:5]
    conn = openstack.connect(cloud="bed")
    flavor_id = conn.compute.find_flavor(flavor, ignore_missing=False).id
    network_id = conn.network.find_network(network, ignore_missing=False).id
    list(conn.compute.servers(limit=1))  # log in and find the endpoint before the clock starts
    started, requested = time.monotonic(), time.time()
    server = conn.compute.create_server(name=name, image_id=image, flavor_id=flavor_id,
                                        networks=[{"uuid": network_id}])
    while True:
        server = conn.compute.get_server(server.id)
        if server.status in ("ACTIVE", "ERROR"):
            break
        if time.monotonic() - started > 600:
            raise SystemExit("%s not ACTIVE after 600 s" % name)
        time.sleep(0.2)
    seconds = time.monotonic() - started
    if server.status == "ERROR":
        raise SystemExit("%s went to ERROR: %s" % (name, server.fault))
    print(json.dumps({"id": server.id, "seconds": round(seconds, 2), "requested": requested}))


if __name__ == "__main__":
    main()
