#!/usr/bin/env python3
"""End-to-end user journeys at the gateway's top region, driven by openstacksdk in one process.

The same journeys run over the sandbox (gateway over simulated regions) and over real OpenStack regions:
    e2e.py --target sandbox|real [--top-region CentralRegion] [--only NAME,...] [--keep] [--json FILE]
Every resource is created at the top (region CentralRegion); what the gateway did is then checked by
asking each region directly (RegionOne = az1, RegionTwo = az2). A journey whose API the gateway does not
serve yet is reported as SKIP with the reason, never hidden; `--top-region RegionOne` runs the journeys
against one region directly (a self-check of the suite, no gateway involved).
Exit status: 0 when nothing failed, 1 otherwise.
"""
import argparse, base64, hashlib, io, json, os, subprocess, sys, tempfile, time, traceback, uuid

import openstack
from keystoneauth1 import exceptions as ksa_exc

TARGETS = {
    # Keystone URL, admin password, the pods' own AZ names (what a region calls the AZ a pod serves)
    "sandbox": {"auth_url": "http://127.0.0.1:22000/v3", "password": "secret",
                "pod_az": {"RegionOne": "az1", "RegionTwo": "az2"}},
    "real": {"auth_url": "http://127.0.0.1:5000/v3", "password": "secret",
             "pod_az": {"RegionOne": "nova", "RegionTwo": "nova"}},
}
TOP_AZ = {"az1": "RegionOne", "az2": "RegionTwo"}
# path prefix of a versioned API under an unversioned catalog URL
VERSIONED = {"image": "/v2", "network": "/v2.0"}
COMPUTE_MV = "2.79"     # >= 2.52 (tags at create), 2.19 (description), 2.3 (user_data shown to admins)
VOLUME_MV = "3.0"


class Skip(Exception):
    """The journey cannot run yet: the reason says which part of the gateway is missing."""


class Ctx:
    """Connections, names and what journeys created (for later journeys and the final cleanup)."""

    def __init__(self, args):
        t = TARGETS[args.target]
        self.args, self.target = args, args.target
        self.auth = dict(auth_url=os.environ.get("E2E_AUTH_URL", t["auth_url"]), username="admin",
                         password=os.environ.get("E2E_ADMIN_PASS", t["password"]), project_name="admin",
                         user_domain_name="Default", project_domain_name="Default")
        self.top_region = args.top_region
        self.gateway = args.top_region not in t["pod_az"]
        if self.gateway:
            self.az = {"az1": "az1", "az2": "az2"}
            self.region = dict(TOP_AZ)
        else:  # self-check: both "AZs" are the one region asked for
            self.az = {k: t["pod_az"][args.top_region] for k in TOP_AZ}
            self.region = {k: args.top_region for k in TOP_AZ}
        self.pod_az = t["pod_az"]
        self.top = self.connect(self.top_region)
        self.pods = {r: self.connect(r) for r in sorted(set(TOP_AZ.values()))}
        self.run = "e2e-" + uuid.uuid4().hex[:6]
        self.made = {}          # what journeys created, by kind
        self.ready = set()      # journeys whose resources are usable even if one of their checks failed
        self.timeout = args.timeout

    def connect(self, region):
        return openstack.connect(region_name=region, identity_api_version="3", load_envvars=False,
                                load_yaml_config=False, **self.auth)

    def name(self, what):
        return f"{self.run}-{what}"


# ---------------------------------------------------------------- HTTP helpers (openstacksdk adapters)

def call(adapter, method, path, expect=None, mv=None, **kw):
    """One request through an openstacksdk service proxy; returns (status, json-or-None)."""
    headers = kw.pop("headers", {})
    r = adapter.request(path, method, microversion=mv, headers=headers, raise_exc=False, **kw)
    try:
        body = r.json() if r.content else None
    except ValueError:
        body = None
    if expect is not None and r.status_code not in (expect if isinstance(expect, tuple) else (expect,)):
        raise AssertionError(f"{method} {path} -> {r.status_code} (expected {expect}): {r.text[:300]}")
    return r.status_code, body


def served(conn, service, path, what, mv=None):
    """Skip the journey when the gateway does not route this API yet (404/405/501 on a collection)."""
    try:
        adapter = getattr(conn, service)
        st, body = call(adapter, "GET", path, mv=mv)
    except ksa_exc.EndpointNotFound as e:
        raise Skip(f"{what}: no endpoint in the catalog ({e})")
    except ksa_exc.ConnectFailure as e:
        # the catalog names the endpoint: nobody listening there is a failure, not a missing feature
        raise AssertionError(f"{what}: endpoint in the catalog does not answer ({e.__class__.__name__})")
    except openstack.exceptions.NotSupported:
        # openstacksdk found no version document; skip only if the API itself is missing too
        stype = {"block_storage": "volumev3"}.get(service, service)
        catalog = conn.session.auth.get_access(conn.session).service_catalog
        base = catalog.url_for(service_type=stype, interface="public", region_name=conn.config.region_name)
        url = base.rstrip("/") + VERSIONED.get(stype, "") + path
        raw = conn.session.get(url, raise_exc=False)
        if raw.status_code in (404, 405, 501):
            raise Skip(f"{what} not served at the top yet (no version document; GET {url} -> {raw.status_code})")
        raise AssertionError(f"{what}: {url} answers {raw.status_code} but {base} has no version document "
                             "that openstacksdk accepts")
    if st in (404, 405, 501):
        raise Skip(f"{what} not served at the top yet (GET {path} -> {st})")
    if st >= 400:
        raise AssertionError(f"GET {path} -> {st}: {body}")
    return body


def wait(what, fn, timeout):
    """Poll fn() until it returns something truthy; fail with the last value seen."""
    end, last = time.time() + timeout, None
    while time.time() < end:
        last = fn()
        if last:
            return last
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last})")


def server_status(adapter, sid):
    st, body = call(adapter, "GET", f"/servers/{sid}", mv=COMPUTE_MV)
    if st == 404:
        return "DELETED"
    return (body or {}).get("server", {}).get("status", f"HTTP {st}")


def wait_server(ctx, adapter, sid, want):
    def check():
        s = server_status(adapter, sid)
        if s == "ERROR" and want != "ERROR":
            _, b = call(adapter, "GET", f"/servers/{sid}", mv=COMPUTE_MV)
            raise AssertionError(f"server {sid} went to ERROR: {(b or {}).get('server', {}).get('fault')}")
        return s == want
    wait(f"server {sid} {want}", check, ctx.timeout)


def volume_status(adapter, vid):
    st, body = call(adapter, "GET", f"/volumes/{vid}")
    return "DELETED" if st == 404 else (body or {}).get("volume", {}).get("status", f"HTTP {st}")


def wait_volume(ctx, adapter, vid, want):
    def check():
        s = volume_status(adapter, vid)
        if s == "error" and want != "error":
            raise AssertionError(f"volume {vid} went to error")
        return s == want
    wait(f"volume {vid} {want}", check, ctx.timeout)


def truthy(v):
    return str(v).lower() in ("true", "1", "yes")


# ---------------------------------------------------------------- journeys

def j_identity_catalog(ctx):
    """Token, regions and the catalog: the top region's endpoints are the gateway's front-ends."""
    tok = ctx.top.session.get_token()
    assert tok, "no token"
    regions = {r.id for r in ctx.top.identity.regions()}
    for r in {ctx.top_region, *ctx.pods}:
        assert r in regions, f"region {r} missing from Keystone ({sorted(regions)})"
    access = ctx.top.session.auth.get_access(ctx.top.session)
    cat = access.service_catalog
    urls = {}
    for stype in ("compute", "network", "image", "volumev3"):
        u = cat.url_for(service_type=stype, interface="public", region_name=ctx.top_region)
        assert u, f"no {stype} endpoint in {ctx.top_region}"
        urls[stype] = u
        for pod in ctx.pods:
            pu = cat.url_for(service_type=stype, interface="public", region_name=pod)
            if ctx.gateway:
                assert pu != u, f"{stype}: {ctx.top_region} endpoint {u} is the same as {pod}'s"
    if ctx.gateway:
        tu = cat.url_for(service_type="tricircle", interface="public", region_name=ctx.top_region)
        st, body = call(ctx.top.session, "GET", tu.rstrip("/") + "/pods", expect=200)
        pods = {p["region_name"]: p.get("az_name") for p in body["pods"]}
        assert pods.get("RegionOne") == "az1" and pods.get("RegionTwo") == "az2", f"pods: {pods}"
        assert pods.get(ctx.top_region, None) in ("", None), f"top pod: {pods}"
    return f"catalog {ctx.top_region}: " + ", ".join(f"{k} {v}" for k, v in sorted(urls.items()))


def j_availability_zones(ctx):
    """AZs at the top are the pods' AZs (compute and block storage)."""
    body = served(ctx.top, "compute", "/os-availability-zone", "compute AZ list")
    names = {z["zoneName"] for z in body["availabilityZoneInfo"] if z.get("zoneState", {}).get("available")}
    for az in set(ctx.az.values()):
        assert az in names, f"compute AZ {az} not listed at the top: {sorted(names)}"
    vb = served(ctx.top, "block_storage", "/os-availability-zone", "volume AZ list")
    vnames = {z["zoneName"] for z in vb["availabilityZoneInfo"]}
    for az in set(ctx.az.values()):
        assert az in vnames, f"volume AZ {az} not listed at the top: {sorted(vnames)}"
    return f"compute {sorted(names)}, volume {sorted(vnames)}"


def j_flavors(ctx):
    """A flavor created at the top (admin) is listed and shown; the boot later uses it in both pods."""
    served(ctx.top, "compute", "/flavors", "flavor list")
    body = {"flavor": {"name": ctx.name("flavor"), "ram": 64, "vcpus": 1, "disk": 1}}
    st, b = call(ctx.top.compute, "POST", "/flavors", json=body)
    if st in (200, 201):
        f = b["flavor"]
        ctx.made["flavor"] = f["id"]
        note = f"created {f['name']} ({f['id']})"
    elif st in (404, 405, 501):
        # no top flavor catalog yet: use a flavor the top lists, as a user would
        _, lb = call(ctx.top.compute, "GET", "/flavors/detail", expect=200)
        small = sorted(lb["flavors"], key=lambda f: (f["ram"], f["name"]))
        assert small, "no flavors at the top"
        ctx.made["flavor_existing"] = small[0]["id"]
        note = f"top flavor create -> {st}; using listed {small[0]['name']}"
    else:
        raise AssertionError(f"POST /flavors -> {st}: {b}")
    fid = ctx.made.get("flavor") or ctx.made["flavor_existing"]
    _, lb = call(ctx.top.compute, "GET", "/flavors", expect=200)
    assert fid in {f["id"] for f in lb["flavors"]}, f"flavor {fid} not in the top list"
    _, sb = call(ctx.top.compute, "GET", f"/flavors/{fid}", expect=200)
    assert sb["flavor"]["vcpus"] >= 1
    st, eb = call(ctx.top.compute, "GET", "/flavors/no-such-flavor-" + ctx.run)
    assert st == 404 and "itemNotFound" in (eb or {}), f"unknown flavor -> {st} {eb} (Nova: 404 itemNotFound)"
    return note


def j_images(ctx):
    """An image created and uploaded at the top lands in the home image service with the same checksums."""
    served(ctx.top, "image", "/images", "image list")
    data = os.urandom(1 << 20)
    md5, sha = hashlib.md5(data).hexdigest(), hashlib.sha512(data).hexdigest()
    _, b = call(ctx.top.image, "POST", "/images", expect=201, json={
        "name": ctx.name("image"), "disk_format": "raw", "container_format": "bare", "visibility": "private"})
    iid = b["id"]
    ctx.made["image"] = iid
    call(ctx.top.image, "PUT", f"/images/{iid}/file", expect=204, data=data,
         headers={"Content-Type": "application/octet-stream"})
    img = wait("image active", lambda: (lambda s, b: b if b and b.get("status") == "active" else None)(
        *call(ctx.top.image, "GET", f"/images/{iid}")), ctx.timeout)
    assert img.get("checksum") == md5, f"checksum {img.get('checksum')} != {md5}"
    assert img.get("os_hash_value") in (None, sha), "os_hash_value differs"
    r = ctx.top.image.request(f"/images/{iid}/file", "GET", raise_exc=False)
    assert r.status_code == 200 and hashlib.md5(r.content).hexdigest() == md5, f"download -> {r.status_code}"
    _, lb = call(ctx.top.image, "GET", "/images?limit=1000", expect=200)
    assert iid in {i["id"] for i in lb["images"]}, "image not in the top list"
    if ctx.gateway:
        home = ctx.pods["RegionOne"].image
        st, hb = call(home, "GET", f"/images/{iid}")
        assert st == 200 and hb.get("checksum") == md5, f"home region RegionOne: GET image {iid} -> {st}"
    return f"1 MiB image {iid} active, md5 and download match"


def j_networking(ctx):
    """Network, subnet, router with an interface, security group with a rule, at the top."""
    served(ctx.top, "network", "/networks", "network list")
    n = ctx.top.network
    _, b = call(n, "POST", "/networks", expect=201, json={"network": {"name": ctx.name("net")}})
    ctx.made["network"] = b["network"]["id"]
    _, b = call(n, "POST", "/subnets", expect=201, json={"subnet": {
        "name": ctx.name("subnet"), "network_id": ctx.made["network"], "ip_version": 4, "cidr": "10.77.0.0/24"}})
    ctx.made["subnet"] = b["subnet"]["id"]
    assert b["subnet"]["gateway_ip"] == "10.77.0.1", b["subnet"]
    st, eb = call(n, "POST", "/subnets", json={"subnet": {
        "network_id": ctx.made["network"], "ip_version": 4, "cidr": "10.77.0.300/24"}})
    assert st == 400 and "NeutronError" in (eb or {}), f"bad CIDR -> {st} {eb} (Neutron: 400 NeutronError)"
    served(ctx.top, "network", "/routers", "router list")
    _, b = call(n, "POST", "/routers", expect=201, json={"router": {"name": ctx.name("router")}})
    ctx.made["router"] = b["router"]["id"]
    call(n, "PUT", f"/routers/{ctx.made['router']}/add_router_interface", expect=200,
         json={"subnet_id": ctx.made["subnet"]})
    ctx.made["router_interface"] = True
    served(ctx.top, "network", "/security-groups", "security group list")
    _, b = call(n, "POST", "/security-groups", expect=201, json={"security_group": {"name": ctx.name("sg")}})
    ctx.made["secgroup"] = b["security_group"]["id"]
    call(n, "POST", "/security-group-rules", expect=201, json={"security_group_rule": {
        "security_group_id": ctx.made["secgroup"], "direction": "ingress", "protocol": "tcp",
        "port_range_min": 22, "port_range_max": 22, "remote_ip_prefix": "0.0.0.0/0"}})
    _, lb = call(n, "GET", f"/networks?name={ctx.name('net')}", expect=200)
    assert [x["id"] for x in lb["networks"]] == [ctx.made["network"]], lb
    return f"network {ctx.made['network']}, subnet 10.77.0.0/24, router, security group"


def j_keypair(ctx):
    """A key pair imported at the top is listed and shown."""
    served(ctx.top, "compute", "/os-keypairs", "key pair list")
    d = tempfile.mkdtemp()
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", d + "/k"], check=True)
    pub = open(d + "/k.pub").read().strip()
    _, b = call(ctx.top.compute, "POST", "/os-keypairs", expect=(200, 201), mv=COMPUTE_MV,
                json={"keypair": {"name": ctx.name("key"), "public_key": pub}})
    ctx.made["keypair"] = b["keypair"]["name"]
    _, sb = call(ctx.top.compute, "GET", f"/os-keypairs/{ctx.made['keypair']}", expect=200)
    assert sb["keypair"]["public_key"].strip() == pub
    return f"key pair {ctx.made['keypair']}"


def boot_body(ctx, label):
    return {"server": {
        "name": ctx.name("vm-" + label), "imageRef": ctx.made["image"],
        "flavorRef": ctx.made.get("flavor") or ctx.made["flavor_existing"],
        "availability_zone": ctx.az[label], "networks": [{"uuid": ctx.made["network"]}],
        "security_groups": [{"name": ctx.name("sg")}], "key_name": ctx.made["keypair"],
        "metadata": {"e2e": ctx.run, "az": label}, "tags": ["e2e", label],
        "description": f"e2e server in {label}", "config_drive": True,
        "user_data": base64.b64encode(f"#!/bin/sh\necho {ctx.run} {label}\n".encode()).decode()}}


def j_servers_boot(ctx):
    """One server in each AZ with every create field; read back at the top and in the owning region."""
    served(ctx.top, "compute", "/servers", "server list", mv=COMPUTE_MV)
    c = ctx.top.compute
    ctx.made["servers"] = {}
    for label in ("az1", "az2"):
        _, b = call(c, "POST", "/servers", expect=202, mv=COMPUTE_MV, json=boot_body(ctx, label))
        ctx.made["servers"][label] = b["server"]["id"]
    for label, sid in ctx.made["servers"].items():
        wait_server(ctx, c, sid, "ACTIVE")
    ctx.ready.add("servers-boot")   # both ACTIVE: later journeys can use them even if a field check fails
    notes, addrs = [], []
    for label, sid in ctx.made["servers"].items():
        want = boot_body(ctx, label)["server"]
        _, tb = call(c, "GET", f"/servers/{sid}", expect=200, mv=COMPUTE_MV)
        s = tb["server"]
        problems = compare_server(s, want, ctx.az[label], "top")
        region = ctx.region[label]
        st, rb = call(ctx.pods[region].compute, "GET", f"/servers/{sid}", mv=COMPUTE_MV)
        if st != 200:
            problems.append(f"{region}: GET /servers/{sid} -> {st} (top id should be the bottom id)")
        else:
            problems += compare_server(rb["server"], want, ctx.pod_az[region], region)
        # the port at the top holds the server's address (central allocation from the top subnet)
        _, pb = call(ctx.top.network, "GET", f"/ports?device_id={sid}", expect=200)
        ips = [ip["ip_address"] for p in pb["ports"] for ip in p["fixed_ips"]]
        # (a simulated region alone creates no port for a boot on a network: only checked via the gateway)
        if (ctx.gateway or ctx.target == "real") and (not ips or not all(ip.startswith("10.77.0.") for ip in ips)):
            problems.append(f"top: ports of the server have {ips or 'no addresses'}, want 10.77.0.0/24")
        shown = [a["addr"] for net in s.get("addresses", {}).values() for a in net]
        if ctx.target == "real" and sorted(shown) != sorted(ips):
            # the simulator does not tie server addresses to ports (e2e/contract/KNOWN_DIFFERENCES.md)
            problems.append(f"top: server addresses {shown} != its ports' {ips}")
        addrs += ips
        assert not problems, f"server in {label}: " + "; ".join(problems)
        notes.append(f"{label}: {sid} in {region} ACTIVE, fields kept")
    assert len(addrs) == len(set(addrs)), f"duplicate addresses across pods: {addrs}"
    if ctx.gateway:   # each region holds exactly one copy of the network and the security group
        for region in set(ctx.region.values()):
            n = ctx.pods[region].network
            for kind, path, names in (("network", "networks", (ctx.made["network"], ctx.name("net"))),
                                      ("security group", "security-groups", (ctx.made["secgroup"], ctx.name("sg")))):
                _, lb = call(n, "GET", f"/{path}", expect=200)
                copies = [x for x in lb[path.replace("-", "_")] if x["name"] in names]
                assert len(copies) == 1, f"{region} holds {len(copies)} copies of the {kind}"
    return "; ".join(notes)


def compare_server(s, want, az, where):
    p = []
    for k in ("name", "description", "key_name"):
        if s.get(k) != want[k]:
            p.append(f"{where}: {k} {s.get(k)!r} != {want[k]!r}")
    if s.get("metadata") != want["metadata"]:
        p.append(f"{where}: metadata {s.get('metadata')} != {want['metadata']}")
    if sorted(s.get("tags") or []) != sorted(want["tags"]):
        p.append(f"{where}: tags {s.get('tags')} != {want['tags']}")
    if not truthy(s.get("config_drive")):
        p.append(f"{where}: config_drive {s.get('config_drive')!r}")
    if s.get("OS-EXT-SRV-ATTR:user_data") != want["user_data"]:
        p.append(f"{where}: user_data {s.get('OS-EXT-SRV-ATTR:user_data')!r} not kept")
    if s.get("OS-EXT-AZ:availability_zone") != az:
        p.append(f"{where}: AZ {s.get('OS-EXT-AZ:availability_zone')!r} != {az!r}")
    return p


def page_ids(adapter, path, key, mv=None):
    """Walk a list page by page with limit=1 and the marker; returns the ids in order."""
    ids, marker = [], None
    for _ in range(1000):
        sep = "&" if "?" in path else "?"
        q = f"{path}{sep}limit=1" + (f"&marker={marker}" if marker else "")
        _, b = call(adapter, "GET", q, expect=200, mv=mv)
        page = b[key]
        assert len(page) <= 1, f"limit=1 returned {len(page)} items"
        if not page:
            return ids
        ids.append(page[0]["id"])
        marker = page[0]["id"]
    raise AssertionError("paging did not end after 1000 pages")


def j_lists_paged(ctx):
    """Merged lists at the top walked with limit=1: every server and volume once, none lost or repeated."""
    sids = set(ctx.made["servers"].values())
    notes = []
    for path in ("/servers", "/servers/detail"):
        ids = page_ids(ctx.top.compute, f"{path}?name={ctx.run}", "servers", COMPUTE_MV)
        assert sorted(ids) == sorted(sids), f"{path} name-filtered pages {ids} != {sorted(sids)}"
        everything = page_ids(ctx.top.compute, path, "servers", COMPUTE_MV)
        assert len(everything) == len(set(everything)), f"{path}: repeated ids while paging"
        assert sids <= set(everything), f"{path}: lost {sids - set(everything)} while paging"
        notes.append(f"{path} {len(everything)} pages")
    sdk = [s.id for s in ctx.top.compute.servers(details=True, limit=1, name=ctx.run)]
    assert sorted(sdk) == sorted(sids), f"openstacksdk servers(limit=1) -> {sdk}"
    vids = set(ctx.made.get("volumes", {}).values())
    if vids:
        ids = page_ids(ctx.top.block_storage, "/volumes/detail", "volumes")
        assert len(ids) == len(set(ids)) and vids <= set(ids), f"volume pages {ids}, want {vids}"
        notes.append(f"/volumes/detail {len(ids)} pages")
    return ", ".join(notes) + (", openstacksdk follows the links" if sdk else "")


def j_server_actions(ctx):
    """stop, start, reboot at the top; the state is the same in the owning region."""
    c = ctx.top.compute
    label = "az2"
    sid, region = ctx.made["servers"][label], ctx.region[label]
    for action, want in (("os-stop", "SHUTOFF"), ("os-start", "ACTIVE"), ("reboot", "ACTIVE")):
        body = {action: None} if action != "reboot" else {"reboot": {"type": "SOFT"}}
        call(c, "POST", f"/servers/{sid}/action", expect=202, mv=COMPUTE_MV, json=body)
        if action == "reboot":
            time.sleep(0.5)
        wait_server(ctx, c, sid, want)
        rs = server_status(ctx.pods[region].compute, sid)
        assert rs == want, f"{action}: top {want}, {region} says {rs}"
    st, eb = call(c, "POST", f"/servers/{sid}/action", mv=COMPUTE_MV, json={"os-start": None})
    assert st == 409 and "conflictingRequest" in (eb or {}), f"start of ACTIVE -> {st} {eb} (Nova: 409)"
    return f"stop/start/reboot of {sid} in {region}; start while ACTIVE -> 409 conflictingRequest"


def j_request_id(ctx):
    """One request id from the client to the region: the gateway answers with the caller's
    X-OpenStack-Request-ID and sends it on as the global request id, which the region's own log shows."""
    label = "az2"
    sid, region = ctx.made["servers"][label], ctx.region[label]
    rid = "req-" + str(uuid.uuid4())
    r = ctx.top.compute.get(f"/servers/{sid}", headers={"X-OpenStack-Request-ID": rid}, microversion=COMPUTE_MV,
                            raise_exc=False)
    assert r.status_code == 200, f"GET /servers/{sid} -> {r.status_code}"
    answered = r.headers.get("x-openstack-request-id")
    assert answered == rid, f"answered request id {answered}, sent {rid}"
    base = os.environ.get("BASE")
    if ctx.target != "real" or not base:
        return f"{rid} answered by the gateway (the region's log is read over real regions only)"
    log = os.path.join(base, "logs", f"nova-api-{region}.log")
    found = False
    for _ in range(20):  # nova-api writes its line when the request is done
        with open(log, errors="replace") as f:
            if rid in f.read():
                found = True
                break
        time.sleep(0.25)
    assert found, f"{rid} not in {log} (the gateway did not send it as the global request id)"
    return f"{rid} answered by the gateway and logged by {region}'s nova-api"


def j_cross_region_networking(ctx):
    """Each region holds one copy of the subnet and the router, the routers have routes to the other
    region's side, and a rule added or removed at the top reaches both regions' copies of the group."""
    if not ctx.gateway:
        raise Skip("needs the gateway (a region alone has no copies)")
    regions = sorted(set(ctx.region.values()))
    addr = {}   # region -> the server addresses it holds
    for label, sid in ctx.made["servers"].items():
        _, pb = call(ctx.top.network, "GET", f"/ports?device_id={sid}", expect=200)
        addr.setdefault(ctx.region[label], []).extend(ip["ip_address"] for p in pb["ports"] for ip in p["fixed_ips"])
    notes = []
    for region in regions:
        n = ctx.pods[region].network
        _, sb = call(n, "GET", f"/subnets?name={ctx.made['subnet']}", expect=200)
        assert len(sb["subnets"]) == 1 and sb["subnets"][0]["cidr"] == "10.77.0.0/24", f"{region}: subnet copies {sb['subnets']}"
        others = [a for r, ips in addr.items() if r != region for a in ips]

        def routes():
            _, rb = call(n, "GET", f"/routers?name={ctx.made['router']}", expect=200)
            if len(rb["routers"]) != 1:
                return None
            dests = {r["destination"] for r in rb["routers"][0].get("routes") or []}
            return dests if all(f"{a}/32" in dests for a in others) else None
        dests = wait(f"{region}'s router with routes to {others}", routes, ctx.timeout)
        # stretched L2 (vxlan): the other region's server ports are mirrored here as shadow ports
        remote = [p for label, sid in ctx.made["servers"].items() if ctx.region[label] != region
                  for p in call(ctx.top.network, "GET", f"/ports?device_id={sid}", expect=200)[1]["ports"]]

        def shadows():
            found = []
            for p in remote:
                _, sp = call(n, "GET", f"/ports?name=shadow_{p['id']}", expect=200)
                if len(sp["ports"]) != 1 or sp["ports"][0]["mac_address"] != p["mac_address"]:
                    return None
                found.append(sp["ports"][0]["fixed_ips"][0]["ip_address"])
            return found or None
        mirrored = wait(f"{region}'s shadow ports of {[p['id'] for p in remote]}", shadows, ctx.timeout)
        notes.append(f"{region}: 1 subnet, 1 router, routes {sorted(dests)}, shadows {mirrored}")

    # a rule changed at the top is changed in every region holding the group (neutron_sync job)
    n = ctx.top.network
    _, rb = call(n, "POST", "/security-group-rules", expect=201, json={"security_group_rule": {
        "security_group_id": ctx.made["secgroup"], "direction": "ingress", "protocol": "tcp",
        "port_range_min": 8080, "port_range_max": 8080, "remote_ip_prefix": "10.0.0.0/8"}})
    rule = rb["security_group_rule"]["id"]

    def has_rule(region, present):
        _, gb = call(ctx.pods[region].network, "GET", f"/security-groups?name={ctx.made['secgroup']}", expect=200)
        rules = [r for g in gb["security_groups"] for r in g.get("security_group_rules") or []]
        found = any(r.get("port_range_min") == 8080 and r.get("remote_ip_prefix") == "10.0.0.0/8" for r in rules)
        return found == present
    t0 = time.time()
    for region in regions:
        wait(f"rule tcp/8080 in {region}", lambda: has_rule(region, True), ctx.timeout)
    added = time.time() - t0
    call(n, "DELETE", f"/security-group-rules/{rule}", expect=204)
    t0 = time.time()
    for region in regions:
        wait(f"rule tcp/8080 gone from {region}", lambda: has_rule(region, False), ctx.timeout)
    notes.append(f"rule added in both regions within {added:.1f}s, removed within {time.time() - t0:.1f}s")
    return "; ".join(notes)


def j_volumes(ctx):
    """Volumes per AZ at the top, same-pod attach and detach, the cross-pod attach refused clearly."""
    served(ctx.top, "block_storage", "/volumes", "volume list")
    v = ctx.top.block_storage
    ctx.made["volumes"] = {}
    for label in ("az1", "az2"):
        _, b = call(v, "POST", "/volumes", expect=202, json={"volume": {
            "size": 1, "name": ctx.name("vol-" + label), "availability_zone": ctx.az[label],
            "metadata": {"e2e": ctx.run}, "description": f"e2e volume in {label}"}})
        ctx.made["volumes"][label] = b["volume"]["id"]
    for label, vid in ctx.made["volumes"].items():
        wait_volume(ctx, v, vid, "available")
        region = ctx.region[label]
        st, rb = call(ctx.pods[region].block_storage, "GET", f"/volumes/{vid}")
        assert st == 200, f"{region}: GET /volumes/{vid} -> {st}"
        assert rb["volume"]["availability_zone"] == ctx.pod_az[region], rb["volume"]["availability_zone"]
        assert rb["volume"]["metadata"].get("e2e") == ctx.run, rb["volume"]["metadata"]
    if "servers" not in ctx.made:
        return "volumes created; attach not tried (no servers)"
    c = ctx.top.compute
    s1, v1, v2 = ctx.made["servers"]["az1"], ctx.made["volumes"]["az1"], ctx.made["volumes"]["az2"]
    call(c, "POST", f"/servers/{s1}/os-volume_attachments", expect=200, mv=COMPUTE_MV,
         json={"volumeAttachment": {"volumeId": v1}})
    wait_volume(ctx, v, v1, "in-use")
    _, ab = call(c, "GET", f"/servers/{s1}/os-volume_attachments", expect=200, mv=COMPUTE_MV)
    assert v1 in [a["volumeId"] for a in ab["volumeAttachments"]], ab
    note = f"attached {v1} to {s1}"
    if ctx.region["az1"] != ctx.region["az2"]:
        st, eb = call(c, "POST", f"/servers/{s1}/os-volume_attachments", mv=COMPUTE_MV,
                      json={"volumeAttachment": {"volumeId": v2}})
        assert st in (400, 409), f"cross-pod attach -> {st} {eb} (want 400/409)"
        fault = next(iter((eb or {}).values()), {})
        assert isinstance(fault, dict) and fault.get("message"), f"cross-pod refusal not in Nova's format: {eb}"
        assert volume_status(v, v2) == "available", "refused volume is not available any more"
        note += f"; cross-pod attach refused {st}: {fault['message'][:80]}"
    call(c, "DELETE", f"/servers/{s1}/os-volume_attachments/{v1}", expect=202, mv=COMPUTE_MV)
    wait_volume(ctx, v, v1, "available")
    return note + "; detached"


def j_pod_down(ctx):
    """A dead region (simulator fault: listener down) does not fail the merged list; calls on its server fail fast."""
    if ctx.target != "sandbox" or not ctx.gateway:
        raise Skip("needs the simulator's fault injection (sandbox target, through the gateway)")
    import requests
    fault = ctx.auth["auth_url"].rsplit("/v3", 1)[0] + "/sim/faults/RegionTwo/compute"
    c = ctx.top.compute
    up, down = ctx.made["servers"]["az1"], ctx.made["servers"]["az2"]
    r = requests.put(fault, json={"down": True}, timeout=5)
    assert r.status_code < 300, f"fault injection -> {r.status_code}"
    try:
        t0 = time.time()
        st, b = call(c, "GET", f"/servers/detail?name={ctx.run}", mv=COMPUTE_MV)
        listed = time.time() - t0
        assert st == 200, f"list with RegionTwo down -> {st} {b}"
        ids = {s["id"] for s in b["servers"]}
        assert up in ids, f"RegionOne's server missing from the list while RegionTwo is down: {ids}"
        t0 = time.time()
        st, b = call(c, "GET", f"/servers/{down}", mv=COMPUTE_MV)
        shown = time.time() - t0
        assert st == 503, f"show of a server in the dead region -> {st} {b} (want 503)"
        marked = "marked" if down in ids else "left out"
    finally:
        requests.delete(fault, timeout=5)
    # the gateway stops trying a dead pod for a while (circuit): wait until it sees RegionTwo again
    t0 = time.time()
    wait("RegionTwo back at the top", lambda: call(c, "GET", f"/servers/{down}", mv=COMPUTE_MV)[0] == 200, ctx.timeout)
    return (f"list {listed:.1f}s without RegionTwo (its server {marked}); show in dead region 503 in {shown:.1f}s; "
            f"region usable again {time.time() - t0:.0f}s after it came back")


def j_floating_ip(ctx):
    """North-south: an external network at the top (admin) placed in az1, the router's gateway on it, a
    floating IP on the server in each AZ; each region is asked directly for its part (docs/networking-north-south.md)."""
    if not ctx.gateway:
        raise Skip("the external network's placement and the double NAT are the gateway's; nothing to check in one region")
    served(ctx.top, "network", "/floatingips", "floating IP list")
    n = ctx.top.network
    _, b = call(n, "POST", "/networks", expect=201, json={"network": {
        "name": ctx.name("public"), "router:external": True, "availability_zone_hints": ["az1"]}})
    ctx.made["ext_network"] = ext = b["network"]["id"]
    _, b = call(n, "POST", "/subnets", expect=201, json={"subnet": {
        "name": ctx.name("public-subnet"), "network_id": ext, "ip_version": 4, "cidr": "198.51.100.0/24",
        "allocation_pools": [{"start": "198.51.100.10", "end": "198.51.100.200"}], "enable_dhcp": False}})
    st, eb = call(n, "POST", "/networks", json={"network": {
        "name": ctx.name("public-2az"), "router:external": True, "availability_zone_hints": ["az1", "az2"]}})
    assert st == 400 and "NeutronError" in (eb or {}), f"external network with two AZ hints -> {st} {eb} (want 400)"
    router = ctx.made["router"]
    _, rb = call(n, "PUT", f"/routers/{router}", expect=200,
                 json={"router": {"external_gateway_info": {"network_id": ext}}})
    ctx.made["router_gateway"] = True
    gateway_ip = rb["router"]["external_gateway_info"]["external_fixed_ips"][0]["ip_address"]
    ext_region = ctx.region["az1"]
    pod_net = {r: conn.network for r, conn in ctx.pods.items()}

    def pod_router(region):
        _, b = call(pod_net[region], "GET", f"/routers?name={router}", expect=200)
        return (b["routers"] or [None])[0]
    wait(f"router gateway {gateway_ip} in {ext_region}", lambda: (
        ((pod_router(ext_region) or {}).get("external_gateway_info") or {}).get("external_fixed_ips") or [{}])[0]
        .get("ip_address") == gateway_ip, ctx.timeout)

    ctx.made["floatingips"] = {}
    notes = []
    for label, sid in ctx.made["servers"].items():
        _, pb = call(n, "GET", f"/ports?device_id={sid}", expect=200)
        assert pb["ports"], f"server {sid} has no port at the top"
        _, fb = call(n, "POST", "/floatingips", expect=201, json={"floatingip": {
            "floating_network_id": ext, "port_id": pb["ports"][0]["id"]}})
        fip = fb["floatingip"]
        ctx.made["floatingips"][label] = fip["id"]
        region = ctx.region[label]
        _, bp = call(pod_net[region], "GET", f"/ports?device_id={sid}", expect=200)
        bottom_port = bp["ports"][0]["id"]

        def pod_fips(r, **q):
            query = "&".join(f"{k}={v}" for k, v in q.items())
            return call(pod_net[r], "GET", f"/floatingips?{query}", expect=200)[1]["floatingips"]
        outer = wait(f"floating IP {fip['floating_ip_address']} in {ext_region}",
                     lambda: pod_fips(ext_region, floating_ip_address=fip["floating_ip_address"]), ctx.timeout)[0]
        if region == ext_region:
            wait(f"{fip['floating_ip_address']} on the server's port in {region}",
                 lambda: pod_fips(region, floating_ip_address=fip["floating_ip_address"], port_id=bottom_port), ctx.timeout)
            notes.append(f"{label}: {fip['floating_ip_address']} -> {region} port")
        else:
            inner = wait(f"bridge floating IP on the server's port in {region}",
                         lambda: pod_fips(region, port_id=bottom_port), ctx.timeout)[0]
            assert outer["fixed_ip_address"] == inner["floating_ip_address"], \
                f"{ext_region} maps {fip['floating_ip_address']} to {outer['fixed_ip_address']}, " \
                f"{region} holds {inner['floating_ip_address']}"
            notes.append(f"{label}: {fip['floating_ip_address']} -> {ext_region} {outer['fixed_ip_address']} -> {region} port")
        st, pl = call(n, "GET", f"/tricircle/placements/floatingip/{fip['id']}", expect=200)
        where = sorted(p.get("region") for p in pl["placements"])
        assert where == sorted({ext_region, region}), f"placements of {fip['id']}: {where}"
    return "gateway " + gateway_ip + "; " + "; ".join(notes)


def j_deletion(ctx):
    """Delete everything at the top; then ask each region directly that nothing is left."""
    if not ctx.made:
        raise Skip("nothing was created")
    gone = delete_all(ctx)
    t0 = time.time()
    # Pod copies of images (and other pod-side objects) go by the gateway's jobs: leftovers are polled for.
    left = []

    def nothing_left():
        nonlocal left
        left = leftovers(ctx)
        return not left
    try:
        wait("nothing left in any region", nothing_left, ctx.timeout)
    except AssertionError:
        pass
    assert not left, "left behind: " + "; ".join(left)
    return f"deleted {gone} at the top; nothing left in {', '.join(ctx.pods)} ({time.time() - t0:.1f}s after the last delete)"


# ---------------------------------------------------------------- database (Trove v1.0 at the top)

def database_served(ctx):
    """The top's Database API, and Trove in both regions (real regions run none yet: skipped). The regions are
    asked first: where they run no Trove, e2e/regions/gateway.sh registers no database endpoint at the top
    either, and the journey is a skip, not a failure."""
    for region, conn in ctx.pods.items():
        try:
            st, _ = call(conn.database, "GET", "/datastores")
        except (ksa_exc.EndpointNotFound, openstack.exceptions.SDKException) as e:
            raise Skip(f"{region} runs no Trove ({e.__class__.__name__})")
        if st >= 400:
            raise Skip(f"{region}'s Trove answers GET /datastores with {st}")
    served(ctx.top, "database", "/instances", "database instance list")
    return ctx.top.database


def db_instance(adapter, iid):
    st, b = call(adapter, "GET", f"/instances/{iid}")
    return "DELETED" if st == 404 else (b or {}).get("instance", {}).get("status", f"HTTP {st}")


def db_delete(ctx, adapter, ids):
    """Deletes instances at the top one by one (replicas first: Trove refuses a source's delete while a
    replica exists, even one being deleted) and waits until each is gone."""
    for iid in ids:
        # Trove refuses to delete an instance still building (422 "is not ready. (Status is BUILD)."), as the
        # simulated Trove now does too: wait until it has left BUILD.
        wait(f"database instance {iid} out of BUILD", lambda: db_instance(adapter, iid) != "BUILD", ctx.timeout)
        call(adapter, "DELETE", f"/instances/{iid}", expect=(202, 404))
        wait(f"database instance {iid} gone", lambda: db_instance(adapter, iid) == "DELETED", ctx.timeout)


def j_database(ctx):
    """Database instances placed by AZ and by region_name, checked in their region; merged list; a replica
    of an az1 instance in az2; the image check refuses a region whose image differs; all deleted."""
    d = database_served(ctx)
    mysql = {"type": "mysql", "version": "8.0.21"}
    made = []
    try:
        placed = {}
        for label, where in (("az2", {"availability_zone": "az2"}), ("r1", {"region_name": "RegionOne"})):
            _, b = call(d, "POST", "/instances", expect=200, json={"instance": {
                "name": ctx.name("db-" + label), "flavorRef": "2", "volume": {"size": 1}, "datastore": mysql, **where}})
            made.append(b["instance"]["id"])
            placed[label] = (b["instance"]["id"], b["instance"]["region"])
        assert placed["az2"][1] == "RegionTwo" and placed["r1"][1] == "RegionOne", placed
        for iid, region in placed.values():
            st, _ = call(ctx.pods[region].database, "GET", f"/instances/{iid}")
            assert st == 200, f"{region} does not hold {iid} ({st})"
        _, lb = call(d, "GET", "/instances", expect=200)
        listed = {i["id"]: i["region"] for i in lb["instances"]}
        assert all(listed.get(i) == r for i, r in placed.values()), f"merged list: {listed}"
        source = placed["r1"][0]
        wait("source ACTIVE", lambda: db_instance(d, source) == "ACTIVE", ctx.timeout)
        _, rb = call(d, "POST", "/instances", expect=200, json={"instance": {
            "name": ctx.name("db-replica"), "replica_of": source, "availability_zone": "az2"}})
        replica = rb["instance"]["id"]
        made.insert(0, replica)
        assert rb["instance"]["region"] == "RegionTwo", rb["instance"]
        assert (rb["instance"].get("replica_of") or {}).get("id") == source, rb["instance"]
        _, pb = call(d, "GET", "/datastores/mysql/versions/8.0.21/regions?flavor=2", expect=200)
        assert all(r["placeable"] for r in pb["regions"]), pb
        # A version whose image differs in RegionTwo: refused there, naming the region and the difference.
        _, vb = call(ctx.pods["RegionOne"].database, "GET", "/datastores/mysql/versions/5.7.29", expect=200)
        image_id = vb["version"].get("image")
        if image_id and call(ctx.pods["RegionTwo"].image, "GET", f"/images/{image_id}")[0] == 404:
            img2 = ctx.pods["RegionTwo"].image
            call(img2, "POST", "/images", expect=201, json={"id": image_id, "name": ctx.name("other-mysql"),
                 "disk_format": "qcow2", "container_format": "bare"})
            call(img2, "PUT", f"/images/{image_id}/file", expect=204, data=b"a different build",
                 headers={"Content-Type": "application/octet-stream"})
            try:
                st, eb = call(d, "POST", "/instances", json={"instance": {
                    "name": ctx.name("db-differs"), "flavorRef": "2", "volume": {"size": 1},
                    "datastore": {"type": "mysql", "version": "5.7.29"}, "availability_zone": "az2"}})
                msg = (eb or {}).get("badRequest", {}).get("message", "")
                assert st == 400 and "RegionTwo" in msg and "differs" in msg, f"differing image -> {st} {eb}"
            finally:
                call(img2, "DELETE", f"/images/{image_id}")
        db_delete(ctx, d, made)
        made = []
        for iid, region in list(placed.values()) + [(replica, "RegionTwo")]:
            assert call(ctx.pods[region].database, "GET", f"/instances/{iid}")[0] == 404, f"{region} still holds {iid}"
        return "az2 -> RegionTwo, region_name RegionOne -> RegionOne, replica in RegionTwo, differing image refused, all deleted"
    finally:
        if made:
            try:
                db_delete(ctx, d, made)
            except AssertionError as e:
                print(f"  cleanup: {e}")


def db_walk(adapter, path, collection):
    """Every id of a paged Trove list, following its `next` links (at most 50 pages)."""
    ids, url = [], path
    for _ in range(50):
        _, b = call(adapter, "GET", url, expect=200)
        ids += [i["id"] for i in b[collection]]
        nxt = [l["href"] for l in b.get("links") or [] if l.get("rel") == "next"]
        if not nxt:
            break
        url = nxt[0]
    return ids


def j_database_configurations(ctx):
    """A configuration group made in RegionTwo (region_name): kept there only, refused for a RegionOne
    instance (400 naming both regions), attached to a RegionTwo instance and detached; configuration and
    backup lists walked with limit=1 (every item once, across both regions); all deleted."""
    d = database_served(ctx)
    mysql = {"type": "mysql", "version": "8.0.21"}
    made, configs, backups = [], [], []
    try:
        _, cb = call(d, "POST", "/configurations", expect=200, json={"configuration": {
            "name": ctx.name("cfg-r2"), "values": {"max_connections": 150}, "datastore": mysql, "region_name": "RegionTwo"}})
        cfg = cb["configuration"]["id"]
        configs.append(cfg)
        assert call(ctx.pods["RegionTwo"].database, "GET", f"/configurations/{cfg}")[0] == 200, "RegionTwo does not keep the group"
        assert call(ctx.pods["RegionOne"].database, "GET", f"/configurations/{cfg}")[0] == 404, "RegionOne keeps the group too"
        _, cb = call(d, "POST", "/configurations", expect=200, json={"configuration": {
            "name": ctx.name("cfg-r1"), "values": {"wait_timeout": 120}, "datastore": mysql}})
        configs.append(cb["configuration"]["id"])
        placed = {}
        for label, az in (("near", "az1"), ("far", "az2")):
            _, b = call(d, "POST", "/instances", expect=200, json={"instance": {
                "name": ctx.name("db-cfg-" + label), "flavorRef": "2", "volume": {"size": 1}, "datastore": mysql,
                "availability_zone": az}})
            made.append(b["instance"]["id"])
            placed[label] = b["instance"]["id"]
        for iid in placed.values():
            wait(f"{iid} ACTIVE", lambda: db_instance(d, iid) == "ACTIVE", ctx.timeout)
        st, eb = call(d, "PUT", f"/instances/{placed['near']}", json={"instance": {"configuration": cfg}})
        msg = (eb or {}).get("badRequest", {}).get("message", "")
        assert st == 400 and "RegionTwo" in msg and "RegionOne" in msg, f"cross-region attach -> {st} {eb}"
        call(d, "PUT", f"/instances/{placed['far']}", expect=202, json={"instance": {"configuration": cfg}})
        _, ib = call(ctx.pods["RegionTwo"].database, "GET", f"/instances/{placed['far']}", expect=200)
        assert (ib["instance"].get("configuration") or {}).get("id") == cfg, ib["instance"]
        _, ub = call(d, "GET", f"/configurations/{cfg}/instances", expect=200)
        assert [i["id"] for i in ub["instances"]] == [placed["far"]], ub
        listed = db_walk(d, "/configurations?limit=1", "configurations")
        assert sorted(i for i in listed if i in configs) == sorted(configs) and len(listed) == len(set(listed)), listed
        for iid in placed.values():
            _, bb = call(d, "POST", "/backups", expect=(200, 202), json={"backup": {"name": ctx.name("bk"), "instance": iid}})
            backups.append(bb["backup"]["id"])
        walked = db_walk(d, "/backups?limit=1", "backups")
        assert sorted(i for i in walked if i in backups) == sorted(backups) and len(walked) == len(set(walked)), walked
        call(d, "PUT", f"/instances/{placed['far']}", expect=202, json={"instance": {"configuration": None}})
        wait("configuration detached", lambda: "configuration" not in call(d, "GET", f"/instances/{placed['far']}")[1]["instance"], ctx.timeout)
        return (f"group in RegionTwo only, refused for RegionOne's instance, attached/detached in RegionTwo; "
                f"{len(listed)} configurations and {len(walked)} backups walked one per page")
    finally:
        for bid in backups:
            wait(f"backup {bid} settled", lambda: call(d, "GET", f"/backups/{bid}")[1].get("backup", {}).get("status") != "NEW", ctx.timeout)
            call(d, "DELETE", f"/backups/{bid}")
        try:
            db_delete(ctx, d, made)
        except AssertionError as e:
            print(f"  cleanup: {e}")
        for cid in configs:
            call(d, "DELETE", f"/configurations/{cid}")


def j_database_clusters(ctx):
    """A cluster with members in both regions; one grown into a new region and shrunk; all deleted."""
    d = database_served(ctx)
    mariadb = {"type": "mariadb", "version": "10.4"}
    member = lambda where: {"flavorRef": "2", "volume": {"size": 1}, **where}
    made = []

    def task(cid):
        st, b = call(d, "GET", f"/clusters/{cid}")
        return "DELETED" if st == 404 else (b or {}).get("cluster", {}).get("task", {}).get("name", f"HTTP {st}")
    try:
        _, b = call(d, "POST", "/clusters", expect=200, json={"cluster": {"name": ctx.name("cluster"), "datastore": mariadb,
                    "instances": [member({"region_name": "RegionOne"}), member({"availability_zone": "az2"})]}})
        both = b["cluster"]["id"]
        made.append(both)
        assert sorted(i["region"] for i in b["cluster"]["instances"]) == ["RegionOne", "RegionTwo"], b["cluster"]
        _, b = call(d, "POST", "/clusters", expect=200, json={"cluster": {"name": ctx.name("grows"), "datastore": mariadb,
                    "instances": [member({"region_name": "RegionOne"}), member({"region_name": "RegionOne"})]}})
        grows = b["cluster"]["id"]
        made.append(grows)
        wait("cluster idle", lambda: task(grows) == "NONE", ctx.timeout)
        walked = db_walk(d, "/clusters?limit=1", "clusters")
        assert sorted(c for c in walked if c in made) == sorted(made) and len(walked) == len(set(walked)), walked
        call(d, "POST", f"/clusters/{grows}", expect=202, json={"grow": [member({"region_name": "RegionTwo"})]})
        wait("cluster grown", lambda: task(grows) == "NONE", ctx.timeout)
        _, gb = call(d, "GET", f"/clusters/{grows}", expect=200)
        in_two = [i["id"] for i in gb["cluster"]["instances"] if i["region"] == "RegionTwo"]
        assert len(in_two) == 1 and len(gb["cluster"]["instances"]) == 3, gb["cluster"]["instances"]
        _, rb = call(ctx.pods["RegionTwo"].database, "GET", "/clusters", expect=200)
        assert any(c["name"] == ctx.name("grows") for c in rb["clusters"]), "RegionTwo holds no part of the grown cluster"
        call(d, "POST", f"/clusters/{grows}", expect=202, json={"shrink": [{"id": in_two[0]}]})
        wait("cluster shrunk", lambda: task(grows) == "NONE" and all(
            i["region"] == "RegionOne" for i in call(d, "GET", f"/clusters/{grows}")[1]["cluster"]["instances"]), ctx.timeout)
        for cid in made:
            call(d, "DELETE", f"/clusters/{cid}", expect=202)
        for cid in made:
            wait(f"cluster {cid} gone", lambda: task(cid) == "DELETED", ctx.timeout)
        made = []
        for region, conn in ctx.pods.items():
            _, lb = call(conn.database, "GET", "/clusters", expect=200)
            left = [c["id"] for c in lb["clusters"] if c["name"].startswith(ctx.run)]
            assert not left, f"{region} still holds clusters {left}"
        return "members in RegionOne and RegionTwo; listed one per page; grown into RegionTwo, shrunk back, all deleted in both regions"
    finally:
        for cid in made:
            call(d, "DELETE", f"/clusters/{cid}")


def leftovers(ctx):
    """What the journeys made that any region still holds (asked of each region directly)."""
    left = []
    for region, conn in ctx.pods.items():
        for sid in ctx.made.get("servers", {}).values():
            if call(conn.compute, "GET", f"/servers/{sid}", mv=COMPUTE_MV)[0] != 404:
                left.append(f"{region}: server {sid}")
            _, pb = call(conn.network, "GET", f"/ports?device_id={sid}", expect=200)
            left += [f"{region}: port {p['id']} of server {sid}" for p in pb["ports"]]
        for vid in ctx.made.get("volumes", {}).values():
            if call(conn.block_storage, "GET", f"/volumes/{vid}")[0] != 404:
                left.append(f"{region}: volume {vid}")
        for kind, path, key in (("network", "networks", "network"), ("subnet", "subnets", "subnet"),
                                ("router", "routers", "router"), ("security group", "security-groups", "secgroup"),
                                ("external network", "networks", "ext_network")):
            if key not in ctx.made:
                continue
            names = {ctx.made[key], ctx.name({"network": "net", "secgroup": "sg"}.get(key, key))}
            _, lb = call(conn.network, "GET", f"/{path}", expect=200)
            left += [f"{region}: {kind} {x['id']} ({x['name']})" for x in lb[path.replace("-", "_")] if x["name"] in names]
        if ctx.made.get("floatingips"):
            _, fb = call(conn.network, "GET", "/floatingips", expect=200)
            left += [f"{region}: floating IP {f['floating_ip_address']} ({f['id']})" for f in fb["floatingips"]
                     if f.get("description") in ctx.made["floatingips"].values()]
        if "keypair" in ctx.made and call(conn.compute, "GET", f"/os-keypairs/{ctx.made['keypair']}")[0] != 404:
            left.append(f"{region}: key pair {ctx.made['keypair']}")
        if "image" in ctx.made:
            _, ib = call(conn.image, "GET", "/images?limit=1000", expect=200)
            left += [f"{region}: image {i['id']}" for i in ib["images"]
                     if i["id"] == ctx.made["image"] or i["name"] in (ctx.made["image"], ctx.name("image"))]
    return left


def delete_all(ctx, strict=True):
    """Deletes what the journeys made, at the top, in dependency order; returns how many."""
    m, n = ctx.made, 0
    # proxies are looked up on first use: one whose API is not served would fail on access
    c = v = net = img = None
    if m.get("servers") or "keypair" in m or "flavor" in m:
        c = ctx.top.compute
    if m.get("volumes"):
        v = ctx.top.block_storage
    if {"router", "subnet", "network", "secgroup", "floatingips", "ext_network"} & set(m):
        net = ctx.top.network
    if "image" in m:
        img = ctx.top.image
    ok = (200, 202, 204, 404) if not strict else (200, 202, 204)

    def delete(adapter, path, **kw):
        nonlocal n
        st, b = call(adapter, "DELETE", path, **kw)
        if st not in ok:
            if strict:
                raise AssertionError(f"DELETE {path} -> {st}: {b}")
            print(f"  cleanup: DELETE {path} -> {st}")   # best effort: go on with the rest
            return
        n += 1

    for fid in m.get("floatingips", {}).values():   # before the servers: Neutron keeps them, disassociated
        delete(net, f"/floatingips/{fid}")
    for sid in m.get("servers", {}).values():
        delete(c, f"/servers/{sid}", mv=COMPUTE_MV)
    for sid in m.get("servers", {}).values():
        try:
            wait_server(ctx, c, sid, "DELETED")
        except AssertionError:
            if strict:
                raise
    for vid in m.get("volumes", {}).values():
        wait("volume detached", lambda: volume_status(v, vid) in ("available", "error", "DELETED"), ctx.timeout)
        delete(v, f"/volumes/{vid}")
    for vid in m.get("volumes", {}).values():
        wait_volume(ctx, v, vid, "DELETED")
    if m.get("router_interface"):
        st, b = call(net, "PUT", f"/routers/{m['router']}/remove_router_interface", json={"subnet_id": m["subnet"]})
        if st not in ok and st != 404:
            raise AssertionError(f"remove_router_interface -> {st}: {b}")
    if "router" in m:
        delete(net, f"/routers/{m['router']}")
    if "ext_network" in m:
        delete(net, f"/networks/{m['ext_network']}")
    if "subnet" in m:
        delete(net, f"/subnets/{m['subnet']}")
    if "network" in m:
        delete(net, f"/networks/{m['network']}")
    if "secgroup" in m:
        delete(net, f"/security-groups/{m['secgroup']}")
    if "keypair" in m:
        delete(c, f"/os-keypairs/{m['keypair']}")
    if "image" in m:
        delete(img, f"/images/{m['image']}")
    if "flavor" in m:
        delete(c, f"/flavors/{m['flavor']}")
    return n


JOURNEYS = [  # name, function, journeys it needs to have passed
    ("identity-catalog", j_identity_catalog, []),
    ("availability-zones", j_availability_zones, []),
    ("flavors", j_flavors, []),
    ("images", j_images, []),
    ("networking", j_networking, []),
    ("keypair", j_keypair, []),
    ("servers-boot", j_servers_boot, ["flavors", "images", "networking", "keypair"]),
    ("volumes-attach", j_volumes, ["servers-boot"]),
    ("lists-paged", j_lists_paged, ["servers-boot"]),
    ("cross-region-networking", j_cross_region_networking, ["servers-boot"]),
    ("server-actions", j_server_actions, ["servers-boot"]),
    ("request-id", j_request_id, ["servers-boot"]),
    ("pod-down", j_pod_down, ["servers-boot"]),
    ("floating-ip", j_floating_ip, ["servers-boot"]),
    ("database", j_database, []),
    ("database-clusters", j_database_clusters, []),
    ("database-configurations", j_database_configurations, []),
    ("deletion", j_deletion, []),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--target", choices=sorted(TARGETS), required=True)
    ap.add_argument("--top-region", default="CentralRegion")
    ap.add_argument("--only", default="", help="comma-separated journey names (their prerequisites still run)")
    ap.add_argument("--keep", action="store_true", help="do not delete what was created")
    ap.add_argument("--timeout", type=int, default=int(os.environ.get("E2E_TIMEOUT", "180")))
    ap.add_argument("--json", help="also write the results as JSON to this file")
    args = ap.parse_args()
    openstack.enable_logging(debug=False)
    ctx = Ctx(args)
    wanted = set(filter(None, args.only.split(",")))
    if wanted:
        need = set(wanted)
        for name, _, deps in reversed(JOURNEYS):
            if name in need:
                need.update(deps)
        wanted = need
    results = []
    status = {}
    t_all = time.time()
    print(f"e2e run {ctx.run}: target {args.target}, top region {ctx.top_region}"
          f"{'' if ctx.gateway else ' (self-check: no gateway)'}", flush=True)
    for name, fn, deps in JOURNEYS:
        if wanted and name not in wanted:
            continue
        if name == "deletion" and args.keep:
            continue
        t0 = time.time()
        bad = [d for d in deps if status.get(d) != "PASS" and d not in ctx.ready]
        if bad:
            st, note = "SKIP", "needs " + ", ".join(f"{d} ({status.get(d, 'not run')})" for d in bad)
        else:
            try:
                st, note = "PASS", fn(ctx) or ""
            except Skip as e:
                st, note = "SKIP", str(e)
            except Exception as e:  # noqa: BLE001 - every failure is reported, the run goes on
                st, note = "FAIL", f"{e.__class__.__name__}: {e}"
                if os.environ.get("E2E_DEBUG"):
                    traceback.print_exc()
        status[name] = st
        results.append({"journey": name, "status": st, "seconds": round(time.time() - t0, 1), "note": note})
        print(f"  {st:4} {name:20} {time.time() - t0:6.1f}s  {note}", flush=True)
    if not args.keep and ctx.made and status.get("deletion") != "PASS":
        try:
            delete_all(ctx, strict=False)
        except Exception as e:  # noqa: BLE001
            print(f"  cleanup after failure: {e}")
    w = max(len(r["journey"]) for r in results) if results else 10
    print(f"\n{'journey':{w}}  result  seconds  note")
    for r in results:
        print(f"{r['journey']:{w}}  {r['status']:6}  {r['seconds']:7.1f}  {r['note'][:150]}")
    counts = {k: sum(1 for r in results if r["status"] == k) for k in ("PASS", "FAIL", "SKIP")}
    print(f"\n{args.target} via {ctx.top_region}: {counts['PASS']} passed, {counts['FAIL']} failed, "
          f"{counts['SKIP']} skipped in {time.time() - t_all:.0f}s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"target": args.target, "top_region": ctx.top_region, "run": ctx.run,
                       "counts": counts, "results": results}, f, indent=1)
    return 1 if counts["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main())
