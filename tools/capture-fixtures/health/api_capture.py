"""Capture keystone and Compute API answers on the bed's controller (read-only).

Runs inside the controller container (``podman exec -i controller python3 -
< api_capture.py``) with the admin credentials of /etc/openstack/clouds.yaml
(TEST-ONLY bed values).  Every request goes to the controller's own loopback
address: the catalog's host name is replaced by 127.0.0.1 for the call, the
answers are stored as received.  The token (X-Subject-Token) is replaced by
REDACTED.  Prints one JSON document: the clouds.yaml text and, per request,
method, url, status, content type and body.
"""

import json
import sys
import urllib.error
import urllib.parse
import urllib.request

import yaml

CLOUDS = "/etc/openstack/clouds.yaml"
MICROVERSION = "2.11"
TOKENS = {}  # url -> X-Subject-Token of the last answer, kept out of the records


def loopback(url):
    parts = urllib.parse.urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return urllib.parse.urlunsplit(parts._replace(netloc="127.0.0.1:%d" % port))


def call(method, url, body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(loopback(url), data=data, method=method)
    req.add_header("Accept", "application/json")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    for key, value in (headers or {}).items():
        req.add_header(key, value)
    try:
        resp = urllib.request.urlopen(req, timeout=30)
        status, raw, hdrs = resp.status, resp.read(), resp.headers
    except urllib.error.HTTPError as exc:
        status, raw, hdrs = exc.code, exc.read(), exc.headers
    token = hdrs.get("X-Subject-Token")
    TOKENS[url] = token
    record = {
        "method": method,
        "url": url,
        "status": status,
        "content_type": hdrs.get("Content-Type"),
        "x_subject_token": "REDACTED" if token else None,
        "body": raw.decode("utf-8"),
    }
    return record


def auth_body(auth, password):
    return {"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": auth["username"], "domain": {"name": auth["user_domain_name"]},
            "password": password}}},
        "scope": {"project": {"name": auth["project_name"],
                              "domain": {"name": auth["project_domain_name"]}}},
    }}


def main():
    with open(CLOUDS, encoding="utf-8") as f:
        clouds_text = f.read()
    clouds = yaml.safe_load(clouds_text)["clouds"]
    name = sorted(clouds)[0]
    cloud = clouds[name]
    auth = cloud["auth"]
    tokens_url = auth["auth_url"].rstrip("/") + "/auth/tokens"
    records = {}
    records["token"] = call("POST", tokens_url, auth_body(auth, auth["password"]))
    token = TOKENS[tokens_url]
    records["token_bad_password"] = call("POST", tokens_url, auth_body(auth, "not-the-password"))
    catalog = json.loads(records["token"]["body"])["token"]["catalog"]
    compute = [s for s in catalog if s["type"] == "compute"][0]
    endpoint = [e for e in compute["endpoints"]
                if e["interface"] == "public" and e["region_id"] == cloud.get("region_name", e["region_id"])][0]
    base = endpoint["url"].rstrip("/")
    headers = {"X-Auth-Token": token, "OpenStack-API-Version": "compute " + MICROVERSION,
               "X-OpenStack-Nova-API-Version": MICROVERSION}
    for key, host in (("services_compute1", "compute1"), ("services_unknown_host", "no-such-host")):
        query = urllib.parse.urlencode({"binary": "nova-compute", "host": host})
        records[key] = call("GET", base + "/os-services?" + query, headers=headers)
    query = urllib.parse.urlencode({"binary": "nova-compute", "host": "compute1"})
    records["services_bad_token"] = call(
        "GET", base + "/os-services?" + query,
        headers=dict(headers, **{"X-Auth-Token": "gAAAAA-not-a-token"}))
    # vnc_check's servers mode (microversions 2.6 and 2.31): the answers for a
    # server and a console token that do not exist
    records["remote_console_unknown_server"] = call(
        "POST", base + "/servers/00000000-0000-4000-8000-000000000000/remote-consoles",
        {"remote_console": {"protocol": "vnc", "type": "novnc"}},
        headers=dict(headers, **{"OpenStack-API-Version": "compute 2.6", "X-OpenStack-Nova-API-Version": "2.6"}))
    records["console_token_unknown"] = call(
        "GET", base + "/os-console-auth-tokens/00000000-0000-4000-8000-000000000000",
        headers=dict(headers, **{"OpenStack-API-Version": "compute 2.31", "X-OpenStack-Nova-API-Version": "2.31"}))
    json.dump({"cloud": name, "clouds_yaml": clouds_text, "requests": records}, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
