#!/usr/bin/env python3
"""Fuzz run over `tricircle sandbox`: schemathesis against the admin API's OpenAPI document, then a
hypothesis-based body fuzzer against the Compute, Volume, Image and Networking front-ends (as demo).

A finding is any 5xx, any answer slower than --timeout seconds (a hang), a request after which the gateway
(or a simulated region, same process) no longer answers (a crash), or a well-formed request whose connection
closed without an answer; and, unless --no-format-checks, an error answer outside the API's format (empty
body, HTML to Accept: application/json), a 405 without Allow, or a 2xx for a body declared text/plain, form,
XML... (the services answer 415). schemathesis checks not_a_server_error and --max-response-time, plus
unsupported_method (405 with Allow) with the format checks. Every failing example goes to <log-dir>/findings.jsonl; the last line printed is
`fuzz: N passed, M failed` (examples without / with a finding) and the exit status is 1 on any finding.
Started by e2e/fuzz/run.sh, which installs schemathesis and hypothesis into a private venv.
"""
import argparse
import base64
import collections
import http.client
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import uuid
import xml.etree.ElementTree as ET

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

STANDARD_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
MAX_BODY_BYTES = 1 << 20  # the gateway's default [gateway] max_body_bytes


# ---- sandbox -----------------------------------------------------------------------------------------------
class Sandbox:
    """One `tricircle sandbox` process on its own ports and state directory."""

    def __init__(self, binary, log_dir, keystone_port, admin_port):
        self.binary, self.log_dir = binary, log_dir
        self.keystone_port, self.admin_port = keystone_port, admin_port
        self.proc, self.starts, self.log_path = None, 0, None

    def start(self):
        self.starts += 1
        state = os.path.join(self.log_dir, f"sandbox-state-{self.starts}")
        os.makedirs(state, exist_ok=True)
        self.log_path = os.path.join(self.log_dir, f"sandbox-{self.starts}.log")
        log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [self.binary, "sandbox", "--state-dir", state, "--keystone-port", str(self.keystone_port),
             "--admin-port", str(self.admin_port)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.time() + 180
        while time.time() < deadline:
            if os.path.exists(os.path.join(state, "openrc")):
                return
            if self.proc.poll() is not None:
                raise RuntimeError(f"sandbox exited early ({self.proc.returncode}):\n{self.log_tail(60)}")
            time.sleep(0.2)
        raise RuntimeError(f"sandbox did not become ready:\n{self.log_tail(60)}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, lines=30):
        try:
            with open(self.log_path, "rb") as f:
                return b"".join(f.readlines()[-lines:]).decode("utf-8", "replace")
        except OSError:
            return ""

    def crash_lines(self):
        text = self.log_tail(400)
        hits = [l for l in text.splitlines()
                if re.search(r"Assertion failed|Fatal error|fatalError|Precondition failed|Segmentation|crash", l)]
        return hits[-5:]


def http_json(method, url, body=None, token=None, timeout=30):
    parsed = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=timeout)
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if token:
        headers["X-Auth-Token"] = token
    conn.request(method, parsed.path + (("?" + parsed.query) if parsed.query else ""),
                 body=json.dumps(body) if body is not None else None, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    try:
        parsed_body = json.loads(data) if data else None
    except ValueError:
        parsed_body = None
    return resp.status, dict(resp.getheaders()), parsed_body


def keystone_token(keystone, user, password, project):
    status, headers, body = http_json("POST", f"{keystone}/v3/auth/tokens", {
        "auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": user, "password": password, "domain": {"name": "Default"}}}},
            "scope": {"project": {"name": project, "domain": {"name": "Default"}}}}})
    if status != 201:
        raise RuntimeError(f"Keystone refused {user}: {status} {body}")
    token = {k.lower(): v for k, v in headers.items()}["x-subject-token"]
    return token, body["token"]["project"]["id"], body["token"].get("catalog", [])


def endpoints(catalog):
    """{(region, service type): public url}."""
    found = {}
    for service in catalog:
        for ep in service.get("endpoints", []):
            if ep.get("interface") == "public":
                found[(ep.get("region_id") or ep.get("region"), service["type"])] = ep["url"]
    return found


# ---- the raw HTTP client (bodies and framing the usual clients refuse to send) -----------------------------
class Outcome:
    def __init__(self, status=None, headers=None, body=b"", error=None, seconds=0.0):
        self.status, self.headers, self.body, self.error, self.seconds = status, headers or {}, body, error, seconds


def send_raw(port, method, target, headers, body, mode, timeout):
    """mode: normal | truncated (declares more than it sends, half-closes) | aborted (sends part, hangs up)."""
    start = time.monotonic()
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    except OSError as error:
        return Outcome(error=f"connect: {error}", seconds=time.monotonic() - start)
    try:
        sock.settimeout(timeout)
        declared = len(body)
        sent = body
        if mode in ("truncated", "aborted"):
            declared = len(body) + 1 + len(body) // 2
            sent = body[: len(body) // 2]
        head = f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        for name, value in headers.items():
            head += f"{name}: {value}\r\n"
        if body or mode != "normal" or method in ("POST", "PUT", "PATCH"):
            head += f"Content-Length: {declared}\r\n"
        head += "Connection: close\r\n\r\n"
        try:
            sock.sendall(head.encode("latin-1") + sent)
        except OSError as error:
            # The server may answer (413) and close before reading an oversize body: read what it said.
            pass
        if mode == "aborted":
            sock.close()
            return Outcome(error="aborted by us", seconds=time.monotonic() - start)
        if mode == "truncated":
            try:
                sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        response = http.client.HTTPResponse(sock, method=method)
        try:
            response.begin()
            # Whole answers (bounded): a 1 MB JSON error read only in part looked like a non-JSON body.
            data = response.read(8 << 20) if method != "HEAD" else b""
            return Outcome(response.status, {k.lower(): v for k, v in response.getheaders()}, data,
                           seconds=time.monotonic() - start)
        except socket.timeout:
            return Outcome(error="timeout", seconds=time.monotonic() - start)
        except (http.client.HTTPException, OSError) as error:
            return Outcome(error=f"no answer: {type(error).__name__}: {error}", seconds=time.monotonic() - start)
    finally:
        try:
            sock.close()
        except OSError:
            pass


# ---- what to send ------------------------------------------------------------------------------------------
# (service, method hint, path template). {id}-like placeholders are filled from ids created at setup, random
# UUIDs or junk. Methods are often swapped for random ones, so each template is also tried with wrong methods.
TEMPLATES = {
    "compute": [
        "/", "/v2.1", "/v2.1/servers", "/v2.1/servers/detail", "/v2.1/servers/{server}",
        "/v2.1/servers/{server}/action", "/v2.1/servers/{server}/metadata", "/v2.1/servers/{server}/metadata/{key}",
        "/v2.1/servers/{server}/os-interface", "/v2.1/servers/{server}/os-volume_attachments",
        "/v2.1/servers/{server}/os-volume_attachments/{volume}", "/v2.1/servers/{server}/tags/{key}",
        "/v2.1/servers/{server}/ips", "/v2.1/servers/{server}/os-instance-actions", "/v2.1/flavors",
        "/v2.1/flavors/detail", "/v2.1/flavors/{flavor}", "/v2.1/flavors/{flavor}/action",
        "/v2.1/flavors/{flavor}/os-extra_specs", "/v2.1/os-keypairs", "/v2.1/os-keypairs/{key}",
        "/v2.1/os-availability-zone/detail", "/v2.1/limits", "/v2.1/os-quota-sets/{project}",
        "/v2.1/{project}/servers", "/v2.1/os-simple-tenant-usage/{project}", "/v2.1/{junk}",
    ],
    "volume": [
        "/", "/v3", "/v3/{project}/volumes", "/v3/{project}/volumes/detail", "/v3/{project}/volumes/{volume}",
        "/v3/{project}/volumes/{volume}/action", "/v3/{project}/snapshots", "/v3/{project}/snapshots/{junk}",
        "/v3/{project}/types", "/v3/{project}/types/{junk}", "/v3/{project}/limits",
        "/v3/{project}/os-quota-sets/{project}", "/v3/{project}/os-availability-zone", "/v3/volumes",
        "/v3/{junk}/volumes", "/v3/{project}/{junk}",
    ],
    "image": [
        "/", "/versions", "/v2", "/v2/images", "/v2/images/{image}", "/v2/images/{image}/file",
        "/v2/images/{image}/members", "/v2/images/{image}/members/{project}", "/v2/images/{image}/tags/{key}",
        "/v2/images/{image}/actions/deactivate", "/v2/images/{image}/import", "/v2/images/{image}/stage",
        "/v2/schemas/image", "/v2/info/import", "/v2/{junk}",
    ],
    "network": [
        "/", "/v2.0", "/v2.0/networks", "/v2.0/networks/{network}", "/v2.0/subnets", "/v2.0/subnets/{subnet}",
        "/v2.0/ports", "/v2.0/ports/{port}", "/v2.0/routers", "/v2.0/routers/{router}",
        "/v2.0/routers/{router}/add_router_interface", "/v2.0/routers/{router}/remove_router_interface",
        "/v2.0/security-groups", "/v2.0/security-groups/{junk}", "/v2.0/security-group-rules",
        "/v2.0/floatingips", "/v2.0/floatingips/{junk}", "/v2.0/quotas/{project}", "/v2.0/extensions",
        "/v2.0/availability_zones", "/v2.0/{junk}",
    ],
}
RESOURCE_KEYS = {
    "compute": ["server", "flavor", "keypair", "metadata", "meta", "tags", "interfaceAttachment",
                "volumeAttachment", "quota_set", "os-start", "os-stop", "reboot", "resize", "createImage",
                "addSecurityGroup", "os-getConsoleOutput", "extra_specs", "addTenantAccess"],
    "volume": ["volume", "snapshot", "volume_type", "quota_set", "os-extend", "os-attach", "os-detach",
               "os-reset_status", "os-set_bootable", "os-volume_upload_image", "metadata", "os-force_delete"],
    "image": ["name", "disk_format", "container_format", "visibility", "tags", "member", "status", "method",
              "min_disk", "protected", "id"],
    "network": ["network", "subnet", "port", "router", "security_group", "security_group_rule", "floatingip",
                "quota", "subnet_id", "port_id", "networks", "ports"],
}
FIELD_NAMES = [
    "name", "description", "id", "tenant_id", "project_id", "admin_state_up", "shared", "network_id", "cidr",
    "ip_version", "gateway_ip", "allocation_pools", "fixed_ips", "subnet_id", "ip_address", "security_groups",
    "device_id", "device_owner", "mac_address", "binding:host_id", "size", "imageRef", "flavorRef",
    "availability_zone", "metadata", "networks", "uuid", "port", "block_device_mapping_v2", "key_name",
    "user_data", "min_count", "max_count", "volume_type", "snapshot_id", "source_volid", "image_id",
    "disk_format", "container_format", "visibility", "tags", "min_disk", "min_ram", "ram", "vcpus", "disk",
    "public_key", "type", "external_gateway_info", "routes", "direction", "protocol", "port_range_min",
    "port_range_max", "remote_ip_prefix", "ethertype", "floating_network_id", "status", "limit", "marker",
]
CONTENT_TYPES = [
    "application/json", "application/json", "application/json", None, "text/plain",
    "application/x-www-form-urlencoded", "multipart/form-data; boundary=xyz", "application/octet-stream",
    "application/json; charset=latin-1", "application/openstack-images-v2.1-json-patch", "application/xml",
    "garbage", "*/*",
]
MICROVERSION_HEADERS = [
    None, ("X-OpenStack-Nova-API-Version", "2.1"), ("X-OpenStack-Nova-API-Version", "latest"),
    ("X-OpenStack-Nova-API-Version", "2.96"), ("X-OpenStack-Nova-API-Version", "9.99"),
    ("OpenStack-API-Version", "compute 2.90"), ("OpenStack-API-Version", "volume 3.70"),
    ("OpenStack-API-Version", "volume latest"), ("OpenStack-API-Version", "volume x.y"),
]

scalars = (st.none() | st.booleans() | st.integers(-2**31, 2**31) | st.integers() | st.floats(allow_nan=False)
           | st.text(max_size=40) | st.sampled_from(["", " ", "0", "-1", "true", "null", "az1", "az2", "nova",
                                                    "10.0.0.0/24", "::/0", "1.1.1.1", "../../etc", "%00"]))
json_values = st.recursive(scalars, lambda children: st.lists(children, max_size=4)
                           | st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=12), children,
                                             max_size=5), max_leaves=16)


@st.composite
def bodies(draw, service):
    """(kind, bytes): the shape of the body and its bytes."""
    kind = draw(st.sampled_from([
        "resource", "resource", "resource", "json", "wrong-type", "huge-string", "deep-nesting", "invalid-utf8",
        "truncated-json", "oversize", "empty", "not-json", "many-keys"]))
    key = draw(st.sampled_from(RESOURCE_KEYS[service]))
    if kind == "resource":
        inner = draw(st.dictionaries(st.sampled_from(FIELD_NAMES), json_values, max_size=6))
        return kind, json.dumps({key: inner}).encode()
    if kind == "json":
        return kind, json.dumps(draw(json_values)).encode()
    if kind == "wrong-type":
        return kind, json.dumps({key: draw(scalars | st.lists(scalars, max_size=3))}).encode()
    if kind == "huge-string":
        size = draw(st.sampled_from([256, 1025, 65_536, 300_000]))
        char = draw(st.sampled_from(["a", "\u00e9", "\U0001F600", "\\", "\"", "%"]))
        field = draw(st.sampled_from(["name", "description", "cidr", "key_name", "id", "user_data"]))
        return kind, json.dumps({key: {field: char * size}}).encode()
    if kind == "deep-nesting":
        depth = draw(st.sampled_from([64, 512, 5_000, 100_000]))
        if draw(st.booleans()):
            return kind, ("[" * depth + "]" * depth).encode()
        return kind, ('{"%s": ' % key + '{"a": ' * depth + "1" + "}" * depth + "}").encode()
    if kind == "invalid-utf8":
        junk = draw(st.sampled_from([b"\xff\xfe", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\x00"]))
        return kind, b'{"' + key.encode() + b'": {"name": "' + junk + b'"}}'
    if kind == "truncated-json":
        text = json.dumps({key: draw(st.dictionaries(st.sampled_from(FIELD_NAMES), json_values, max_size=4))})
        cut = draw(st.integers(1, max(1, len(text) - 1)))
        return kind, text[:cut].encode()
    if kind == "oversize":
        size = MAX_BODY_BYTES + draw(st.sampled_from([1, 4096, 512 * 1024]))
        return kind, json.dumps({key: {"name": "x" * size}}).encode()
    if kind == "empty":
        return kind, b""
    if kind == "many-keys":
        count = draw(st.sampled_from([1000, 20_000]))
        return kind, json.dumps({key: {f"k{i}": i for i in range(count)}}).encode()
    return kind, draw(st.sampled_from([b"not json", b"{", b"null", b"[]", b'"x"', b"{}", b"{\"a\":}", b"1e999999"]))


class Targets:
    """Ports, token and real ids of one sandbox start."""

    def __init__(self, ports, token, project, ids):
        self.ports, self.token, self.project, self.ids = ports, token, project, ids


def fill(template, targets, rnd_choice):
    def value(name):
        if name == "junk":
            return rnd_choice("junk")
        return rnd_choice(name)
    return re.sub(r"\{(\w+)\}", lambda m: value(m.group(1)), template)


# Bodies each service accepts, sent now and then with a random Content-Type: a 2xx for one declared text/plain
# (or form, XML...) is a finding, as the services answer 415.
VALID = [
    ("network", "POST", "/v2.0/networks", lambda n: {"network": {"name": f"fz-{n}"}}),
    ("network", "POST", "/v2.0/security-groups", lambda n: {"security_group": {"name": f"fz-{n}"}}),
    ("compute", "POST", "/v2.1/os-keypairs", lambda n: {"keypair": {"name": f"fz-{n}"}}),
    ("compute", "POST", "/v2.1/servers/{server}/metadata", lambda n: {"metadata": {"k": f"{n}"}}),
    ("volume", "POST", "/v3/{project}/volumes", lambda n: {"volume": {"size": 1, "name": f"fz-{n}"}}),
    ("volume", "PUT", "/v3/{project}/volumes/{volume}", lambda n: {"volume": {"name": f"fz-{n}"}}),
    ("image", "POST", "/v2/images", lambda n: {"name": f"fz-{n}", "disk_format": "raw", "container_format": "bare"}),
]


@st.composite
def requests(draw, targets):
    if draw(st.integers(0, 7)) == 0:
        service, method, template, make = draw(st.sampled_from(VALID))
        path = fill(template, targets, lambda name: (targets.ids.get(name) or [str(uuid.uuid4())])[0])
        headers = {"X-Auth-Token": targets.token, "Accept": "application/json"}
        content_type = draw(st.sampled_from(CONTENT_TYPES))
        if content_type:
            headers["Content-Type"] = content_type
        return {"service": service, "template": template, "method": method, "path": path, "headers": headers,
                "kind": "valid", "body": json.dumps(make(draw(st.integers(0, 10**9)))).encode(), "mode": "normal",
                "auth": "token"}
    service = draw(st.sampled_from(sorted(TEMPLATES)))
    template = draw(st.sampled_from(TEMPLATES[service]))

    def choose(name):
        real = targets.ids.get(name) or []
        options = ["real"] * (2 if real else 0) + ["uuid", "junk"]
        pick = draw(st.sampled_from(options))
        if pick == "real":
            return draw(st.sampled_from(real))
        if pick == "uuid":
            return str(uuid.UUID(int=draw(st.integers(0, 2**128 - 1))))
        raw = draw(st.sampled_from(["..", "%2e%2e", "a" * 300, "x" * 5000, "%00", "%2F", "detail", "-1", "0",
                                     "%FF%FE", "%E9t%C3%A9", "a%20b", "null", "{id}", "*"]) | st.text(max_size=20))
        return urllib.parse.quote(raw, safe="%*-._~")
    path = fill(template, targets, choose)
    if draw(st.integers(0, 9)) == 0:
        path += "?" + urllib.parse.urlencode(draw(st.dictionaries(min_size=1, keys=
            st.sampled_from(["limit", "marker", "sort_key", "sort_dir", "fields", "name", "all_tenants", "changes-since",
                             "status", "detail", "page_reverse"]),
            values=st.sampled_from(["-1", "0", "1", "abc", "1000000000000", "", "name", "desc", "%", "'"])
            | st.text(max_size=10), max_size=3)))
    method = draw(st.sampled_from(["POST", "PUT", "PATCH", "POST", "PUT", "GET", "DELETE", "HEAD", "OPTIONS"]))
    kind, body = draw(bodies(service))
    if method in ("GET", "HEAD", "DELETE", "OPTIONS") and draw(st.booleans()):
        kind, body = "none", b""
    headers = {}
    auth = draw(st.sampled_from(["token"] * 12 + ["none", "bogus"]))
    if auth == "token":
        headers["X-Auth-Token"] = targets.token
    elif auth == "bogus":
        headers["X-Auth-Token"] = "gAAAAAbogus" + "x" * draw(st.sampled_from([0, 300]))
    content_type = draw(st.sampled_from(CONTENT_TYPES))
    if content_type and body:
        headers["Content-Type"] = content_type
    if draw(st.integers(0, 5)):
        headers["Accept"] = "application/json"  # as the SDKs send it; without it Glance answers errors in HTML
    micro = draw(st.sampled_from(MICROVERSION_HEADERS))
    if micro:
        headers[micro[0]] = micro[1]
    mode = "normal"
    if body and draw(st.integers(0, 11)) == 0:
        mode = draw(st.sampled_from(["truncated", "aborted"]))
    return {"service": service, "template": template, "method": method, "path": path, "headers": headers,
            "kind": kind, "body": body, "mode": mode, "auth": auth}


# ---- the run -----------------------------------------------------------------------------------------------
FORMAT_PREFIXES = ("4", "405 without", "2")  # answers in the wrong shape: the body's kind does not matter


def group_of(what):
    """A finding's class for the summary: '5xx', 'hang', 'crash', '404 empty body', ..."""
    if what.isdigit():
        return "5xx answer"
    if re.match(r"^2\d\d: accepted", what):
        return "2xx for a body declared " + what.split("declared ", 1)[1]
    what = re.sub(r"\(no answer in [^)]*\)", "", what)
    what = re.sub(r"[(][^)]*[)]", "", what)
    return re.sub(r"\s+", " ", what).strip()


class Run:
    def __init__(self, args):
        self.args = args
        self.passed = 0
        self.failed = 0
        self.findings = []          # dicts, also written to findings.jsonl
        self.signatures = collections.Counter()
        self.groups = collections.Counter()
        self.by_service = collections.Counter()
        self.by_status = collections.Counter()
        self.log = open(os.path.join(args.log_dir, "findings.jsonl"), "w")

    def finding(self, phase, what, request, outcome, extra=None):
        shape = f" [{request.get('kind', '-')}/{request.get('mode', '-')}]" if not what.startswith(FORMAT_PREFIXES) else ""
        signature = f"{phase}: {what}: {request.get('service', 'admin')} {request.get('method')} " \
                    f"{request.get('template', request.get('path'))}{shape}"
        self.groups[(phase, request.get("service") or "admin", group_of(what))] += 1
        self.signatures[signature] += 1
        body = request.get("body") or b""
        record = {
            "phase": phase, "finding": what, "signature": signature,
            "request": {
                "service": request.get("service"), "port": request.get("port"), "method": request.get("method"),
                "path": request.get("path"), "headers": request.get("headers"), "kind": request.get("kind"),
                "mode": request.get("mode"), "body_length": len(body),
                "body_preview": body[:600].decode("utf-8", "replace"),
                "body_base64": base64.b64encode(body).decode() if len(body) <= 65536 else None,
            },
            "answer": None if outcome is None else {
                "status": outcome.status, "error": outcome.error, "seconds": round(outcome.seconds, 3),
                "headers": outcome.headers, "body": outcome.body[:1000].decode("utf-8", "replace"),
            },
        }
        if extra:
            record.update(extra)
        self.findings.append(record)
        self.log.write(json.dumps(record) + "\n")
        self.log.flush()


def liveness(targets, region_endpoints, timeout=5):
    """Names of listeners that no longer answer HTTP (gateway front-ends, admin API, Keystone, regions)."""
    dead = []
    checks = [(name, port, "/") for name, port in sorted(targets.ports.items())]
    for (region, service), url in sorted(region_endpoints.items()):
        parsed = urllib.parse.urlsplit(url)
        checks.append((f"{region}/{service}", parsed.port, "/"))
    for name, port, path in checks:
        outcome = send_raw(port, "GET", path, {}, b"", "normal", timeout)
        if outcome.status is None:
            dead.append(f"{name} (:{port}): {outcome.error}")
    return dead


def start_targets(sandbox, args):
    sandbox.start()
    keystone = f"http://127.0.0.1:{args.keystone_port}"
    token, project, catalog = keystone_token(keystone, "demo", "demopass", "demo")
    eps = endpoints(catalog)
    ports = {"admin": args.admin_port, "keystone": args.keystone_port}
    wanted = {"compute": "compute", "volume": "volumev3", "image": "image", "network": "network"}
    for name, service_type in wanted.items():
        url = eps.get(("CentralRegion", service_type))
        ports[name] = urllib.parse.urlsplit(url).port if url else args.admin_port - {
            "compute": 1, "volume": 2, "network": 3, "image": 4}[name]
    regions = {k: v for k, v in eps.items() if k[0] != "CentralRegion"}
    ids = {"project": [project]}
    C, V, N, I = (f"http://127.0.0.1:{ports[s]}" for s in ("compute", "volume", "network", "image"))
    # Real resources, so that routed paths reach the pods too; a failing setup only means fewer real ids.
    steps = [
        ("image", lambda: [i["id"] for i in http_json("GET", f"{I}/v2/images", token=token)[2]["images"]]),
        ("flavor", lambda: [f["id"] for f in http_json("GET", f"{C}/v2.1/flavors", token=token)[2]["flavors"]][:2]),
        ("network", lambda: [http_json("POST", f"{N}/v2.0/networks", {"network": {"name": "fuzz-net"}},
                                       token=token)[2]["network"]["id"]]),
        ("subnet", lambda: [http_json("POST", f"{N}/v2.0/subnets", {"subnet": {
            "network_id": ids["network"][0], "cidr": "10.77.0.0/24", "ip_version": 4}}, token=token)[2]["subnet"]["id"]]),
        ("port", lambda: [http_json("POST", f"{N}/v2.0/ports", {"port": {"network_id": ids["network"][0]}},
                                    token=token)[2]["port"]["id"]]),
        ("router", lambda: [http_json("POST", f"{N}/v2.0/routers", {"router": {"name": "fuzz-router"}},
                                      token=token)[2]["router"]["id"]]),
        ("volume", lambda: [http_json("POST", f"{V}/v3/{project}/volumes", {"volume": {
            "size": 1, "availability_zone": "az1", "name": "fuzz-vol"}}, token=token)[2]["volume"]["id"]]),
        ("server", lambda: [http_json("POST", f"{C}/v2.1/servers", {"server": {
            "name": "fuzz-vm", "imageRef": ids["image"][0], "flavorRef": ids["flavor"][0],
            "networks": [{"uuid": ids["network"][0]}], "availability_zone": "az2"}}, token=token)[2]["server"]["id"]]),
    ]
    for name, step in steps:
        try:
            ids[name] = step()
        except Exception as error:  # noqa: BLE001 - setup is best effort, said in the summary
            print(f"  setup: no real {name} ({type(error).__name__}: {error})")
    ids["key"] = ["fuzz-key", "a", "x" * 300]
    return Targets(ports, token, project, ids), regions


def run_schemathesis(args, run, seconds):
    """schemathesis against the admin API with an admin token; returns (test cases, failures)."""
    keystone = f"http://127.0.0.1:{args.keystone_port}"
    admin_token, _, _ = keystone_token(keystone, "admin", "secret", "admin")
    base = f"http://127.0.0.1:{args.admin_port}"
    report_dir = os.path.join(args.log_dir, "schemathesis")
    cmd = [os.path.join(os.path.dirname(sys.executable), "schemathesis"), "run", f"{base}/v1.0/openapi.json",
           "--url", base, "-H", f"X-Auth-Token: {admin_token}",
           "--checks", "not_a_server_error,unsupported_method" if args.format_checks else "not_a_server_error",
           "--max-response-time", str(args.timeout),
           "--request-timeout", str(args.timeout * 2), "--max-time", str(max(10, int(seconds))),
           "--seed", str(args.seed), "--workers", "1", "--suppress-health-check", "all",
           "--generation-database", "none", "--no-color", "--report", "junit,ndjson", "--report-dir", report_dir,
           "--report-junit-path", os.path.join(report_dir, "junit.xml"),
           "--continue-on-failure", "--output-truncate", "true"]
    print("$ schemathesis run " + " ".join(c if not c.startswith("X-Auth") else "X-Auth-Token: ***" for c in cmd[3:]))
    started = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 120)
    output = proc.stdout + proc.stderr
    with open(os.path.join(args.log_dir, "schemathesis.txt"), "w") as f:
        f.write(output)
    # Its own closing figures, e.g. "Test cases:\n  1234 generated, 1200 passed, 34 failed".
    generated = sum(int(n) for n in re.findall(r"(\d+) generated", output)) or 0
    print("\n".join(output.splitlines()[-25:]))
    failures = 0
    junit = os.path.join(report_dir, "junit.xml")
    if os.path.exists(junit):
        for case in ET.parse(junit).getroot().iter("testcase"):
            for failure in list(case.findall("failure")) + list(case.findall("error")):
                failures += 1
                text = (failure.get("message") or "") + "\n" + (failure.text or "")
                run.finding("schemathesis", "admin API", {"service": "admin", "method": case.get("name"),
                                                           "path": case.get("name"), "kind": "openapi"},
                            None, {"report": text[:4000]})
    elif proc.returncode != 0:
        failures = 1
        run.finding("schemathesis", "schemathesis failed to run", {"service": "admin"}, None,
                    {"report": output[-4000:]})
    print(f"schemathesis: exit {proc.returncode}, {generated} test cases, {failures} failing operations/checks, "
          f"{time.monotonic() - started:.0f} s")
    return generated, failures


NON_JSON_TYPES = {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data", "application/xml", "garbage"}


def format_problem(request, outcome):
    """What the answer gets wrong about the API's own error format, or None (issue 12, item 5)."""
    if outcome.status is None or outcome.status < 400 and outcome.status >= 300:
        return None
    if outcome.status >= 400 and request["method"] != "HEAD":
        try:
            parsed = json.loads(outcome.body or b"")
        except ValueError:
            parsed = None
        if not outcome.body:
            return f"{outcome.status} with an empty body, not the API's error format"
        if (not isinstance(parsed, dict) or not parsed) and "json" in request["headers"].get("Accept", ""):
            return f"{outcome.status} with a non-JSON body ({outcome.headers.get('content-type', 'no type')}) " \
                   "to Accept: application/json"
    if outcome.status == 405 and not outcome.headers.get("allow"):
        return "405 without Allow"
    declared = (request["headers"].get("Content-Type") or "").split(";")[0].strip()
    # Image data (file, stage) is octet-stream by nature; everywhere else a JSON body declared otherwise is a 415.
    data_path = request["template"].endswith(("/file", "/stage"))
    if outcome.status < 300 and request["body"] and declared in NON_JSON_TYPES and not data_path \
            and request["method"] in ("POST", "PUT", "PATCH"):
        return f"{outcome.status}: accepted a body declared {declared}"
    return None


def run_body_fuzzer(args, run, sandbox, targets, regions, seconds):
    deadline = time.monotonic() + seconds
    state = {"targets": targets, "regions": regions, "examples": 0, "restarts": 0, "stop": False}

    def check_alive(request, outcome):
        dead = liveness(state["targets"], state["regions"])
        if not dead and sandbox.running():
            return True
        run.failed += 1
        run.finding("body-fuzz", "crash (gateway or regions stopped answering)", request, outcome,
                    {"dead": dead, "exit_code": sandbox.proc.poll(), "log": sandbox.crash_lines() or
                     sandbox.log_tail(15).splitlines()})
        print(f"  CRASH after {request['method']} {request['path'][:100]} ({request['kind']}/{request['mode']}): "
              f"{'; '.join(sandbox.crash_lines()) or dead[:2]}")
        sandbox.stop()
        if state["restarts"] >= args.max_restarts or time.monotonic() > deadline - 10:
            state["stop"] = True
            return False
        state["restarts"] += 1
        state["targets"], state["regions"] = start_targets(sandbox, args)
        return False

    def one(request):
        if state["stop"] or time.monotonic() > deadline:
            return
        state["examples"] += 1
        targets = state["targets"]
        port = targets.ports[request["service"]]
        if request["auth"] == "token":
            request["headers"]["X-Auth-Token"] = targets.token  # a restart issues new tokens
        request["port"] = port
        run.by_service[request["service"]] += 1
        outcome = send_raw(port, request["method"], request["path"], request["headers"], request["body"],
                           request["mode"], args.timeout)
        run.by_status[outcome.status or (outcome.error or "?").split(":")[0]] += 1
        shown = dict(request, headers={k: ("***" if k == "X-Auth-Token" else v) for k, v in request["headers"].items()})
        problem = format_problem(request, outcome) if args.format_checks else None
        if outcome.status is not None and outcome.status >= 500:
            run.failed += 1
            run.finding("body-fuzz", f"{outcome.status}", shown, outcome)
        elif problem:
            run.failed += 1
            run.finding("body-fuzz", problem, shown, outcome)
        elif outcome.error == "timeout":
            run.failed += 1
            run.finding("body-fuzz", f"hang (no answer in {args.timeout} s)", shown, outcome)
            check_alive(shown, outcome)
        elif outcome.status is not None and outcome.seconds > args.timeout:
            run.failed += 1
            run.finding("body-fuzz", f"slow answer ({outcome.seconds:.1f} s)", shown, outcome)
        elif outcome.status is None:
            # No answer: fine for bodies we cut or that were over the limit (closing is allowed), unless the
            # process went away; for anything else a closed connection without an answer is a finding itself.
            if not check_alive(shown, outcome):
                return
            if request["mode"] == "normal" and request["kind"] != "oversize" and not outcome.error.startswith("connect"):
                run.failed += 1
                run.finding("body-fuzz", "closed without an answer", shown, outcome)
            else:
                run.passed += 1
        else:
            run.passed += 1
        if state["examples"] % 200 == 0:
            check_alive(shown, outcome)

    batch = 0
    while not state["stop"] and time.monotonic() < deadline:
        @settings(max_examples=args.batch, deadline=None, database=None, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @seed(args.seed * 1000 + batch)
        @given(request=requests(state["targets"]))
        def fuzz_batch(request):
            one(request)
        fuzz_batch()
        batch += 1
    return state


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", required=True, help="the tricircle executable")
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("FUZZ_SECONDS", 150)),
                        help="time for both fuzzers together (FUZZ_SECONDS, default 150)")
    parser.add_argument("--seed", type=int, default=int(os.environ.get("FUZZ_SEED") or random.randrange(1, 10**6)),
                        help="seed for both fuzzers (FUZZ_SEED; default random, printed)")
    parser.add_argument("--timeout", type=float, default=float(os.environ.get("FUZZ_TIMEOUT", 10)),
                        help="seconds within which every answer must come (FUZZ_TIMEOUT, default 10)")
    parser.add_argument("--admin-share", type=float, default=0.4, help="share of the time for schemathesis")
    parser.add_argument("--batch", type=int, default=100, help="hypothesis examples per seeded batch")
    parser.add_argument("--max-restarts", type=int, default=3, help="sandbox restarts after crashes")
    parser.add_argument("--keystone-port", type=int, default=26000)
    parser.add_argument("--admin-port", type=int, default=28999)
    parser.add_argument("--log-dir", required=True)
    parser.add_argument("--only", choices=["admin", "bodies"], help="run one fuzzer only")
    parser.add_argument("--no-format-checks", dest="format_checks", action="store_false",
                        help="only 5xx, hangs and crashes count (not bare 4xx bodies, 405 without Allow, non-JSON accepted)")
    args = parser.parse_args()
    os.makedirs(args.log_dir, exist_ok=True)
    started = time.monotonic()
    print(f"fuzz: seed {args.seed} (FUZZ_SEED={args.seed} repeats it), {args.seconds:.0f} s, "
          f"answers within {args.timeout:.0f} s, log {args.log_dir}")
    run = Run(args)
    sandbox = Sandbox(args.bin, args.log_dir, args.keystone_port, args.admin_port)
    state = None
    try:
        targets, regions = start_targets(sandbox, args)
        print(f"sandbox up in {time.monotonic() - started:.0f} s: ports {targets.ports}, "
              f"real ids for {sorted(k for k, v in targets.ids.items() if v)}")
        admin_seconds = 0 if args.only == "bodies" else args.seconds * (1 if args.only == "admin" else args.admin_share)
        schemathesis_cases = 0
        if admin_seconds:
            print("\n--- schemathesis against the admin API (OpenAPI document at /v1.0/openapi.json)")
            schemathesis_cases, failures = run_schemathesis(args, run, admin_seconds)
            run.passed += max(0, schemathesis_cases - failures)
            run.failed += failures
            dead = liveness(targets, regions)
            if dead or not sandbox.running():
                run.failed += 1
                run.finding("schemathesis", "crash after the admin API run", {"service": "admin"}, None,
                            {"dead": dead, "log": sandbox.crash_lines()})
            # A fresh sandbox for the front-ends: schemathesis' stateful phase deletes the pods it lists (as an
            # admin may), after which every create rightly answers 503 "no region registered".
            sandbox.stop()
            targets, regions = start_targets(sandbox, args)
        body_seconds = args.seconds - (time.monotonic() - started) if args.only != "admin" else 0
        if body_seconds > 5:
            print(f"\n--- body fuzzer (hypothesis) against compute, volume, image and network as demo, {body_seconds:.0f} s")
            state = run_body_fuzzer(args, run, sandbox, targets, regions, body_seconds)
            print(f"body fuzzer: {state['examples']} examples, by front-end {dict(run.by_service)}, "
                  f"sandbox restarts after crashes: {state['restarts']}")
            print(f"answers: {dict(sorted(run.by_status.items(), key=lambda kv: str(kv[0])))}")
            targets, regions = state["targets"], state["regions"]
        # The end: everything still answers (a crash earlier was counted where it happened).
        if not state or not state["stop"]:
            dead = liveness(targets, regions)
            if dead or not sandbox.running():
                run.failed += 1
                run.finding("end", "gateway or regions not answering at the end", {"service": "all"}, None,
                            {"dead": dead, "log": sandbox.crash_lines()})
            else:
                print("end: the gateway's admin API, its four front-ends, Keystone and every simulated region still answer")
    finally:
        sandbox.stop()
    print(f"\n--- summary ({time.monotonic() - started:.0f} s, seed {args.seed})")
    if run.signatures:
        with open(os.path.join(args.log_dir, "summary.txt"), "w") as f:
            for signature, count in sorted(run.signatures.items(), key=lambda kv: (-kv[1], kv[0])):
                f.write(f"{count:5d} x {signature}\n")
        print(f"{len(run.findings)} failing examples in {len(run.signatures)} kinds; by finding and API "
              f"(examples in {os.path.join(args.log_dir, 'findings.jsonl')}, kinds in summary.txt):")
        for (phase, service, group), count in sorted(run.groups.items()):
            print(f"  {count:5d} x {phase:12s} {service:8s} {group}")
        print("most frequent kinds:")
        for signature, count in sorted(run.signatures.items(), key=lambda kv: (-kv[1], kv[0]))[:15]:
            print(f"  {count:5d} x {signature}")
    else:
        print("no findings")
    print(f"fuzz: {run.passed} passed, {run.failed} failed")
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
