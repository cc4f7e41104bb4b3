#!/usr/bin/env python3
"""Contract checks for the region simulator: the same requests to a real region and to a simulated one,
answers compared on status codes, error body shapes and the fields clients read.

    contract.py [--real-auth URL] [--sim-auth URL] [--region RegionOne] [--write FILE.md] [--check FILE.md]
                [--parts core,database]

The database part (database.py) runs when the real region's catalog has a `database` endpoint (a real
trove-api from e2e/regions/trove.sh); "core" is Nova, Neutron, Glance and Cinder.

--write regenerates the list of differences (e2e/contract/KNOWN_DIFFERENCES.md); --check fails (exit 1)
when a difference is found that the given file does not list (its id in backquotes), so CI catches new ones.
Nothing in the simulator is changed here: the differences are handed to the simulator's owners.
"""
import argparse, base64, json, os, subprocess, sys, tempfile, time, uuid

import openstack

import database

BOGUS = "00000000-0000-4000-8000-00000000dead"
MV = "2.79"


class Cloud:
    """One side of the comparison: a Keystone and a region, with what the setup created there."""

    def __init__(self, label, auth_url, region):
        self.label = label
        self.auth_url = auth_url
        self.conn = openstack.connect(auth_url=auth_url, username="admin", password="secret", project_name="admin",
                                      user_domain_name="Default", project_domain_name="Default", region_name=region,
                                      identity_api_version="3", load_envvars=False, load_yaml_config=False)
        self.ids = {}

    def req(self, service, method, path, body=None, mv=None, headers=None, raw=None):
        adapter = getattr(self.conn, service)
        kw = {"json": body} if body is not None else {}
        if raw is not None:
            kw = {"data": raw}
        r = adapter.request(path.format(**self.ids), method, microversion=mv, headers=headers or {},
                            raise_exc=False, **kw)
        try:
            js = r.json() if r.content else None
        except ValueError:
            js = None
        return r.status_code, r.headers.get("Content-Type", "").split(";")[0], js


def shape(js, depth=2):
    """Keys clients read: the top-level keys and, one level down, the keys of the (first) object."""
    if isinstance(js, list):
        return shape(js[0], depth) if js else "[]"
    if not isinstance(js, dict):
        return type(js).__name__
    if depth == 0:
        return sorted(js)
    # maps keyed by names chosen by users (addresses by network name, metadata) are not fields
    return {k: ("map" if k in DYNAMIC else shape(v, depth - 1)) if isinstance(v, (dict, list)) else type(v).__name__
            for k, v in js.items()}


DYNAMIC = {"addresses", "metadata", "properties", "links", "extra_specs"}


def flat(sh, prefix=""):
    """Flattens a shape into {path: type} so two shapes can be diffed field by field."""
    out = {}
    if sh == "[]":
        return {}
    if isinstance(sh, dict):
        for k, v in sh.items():
            out.update(flat(v, f"{prefix}{k}."))
            out[prefix + k] = "object" if isinstance(v, dict) else ("list" if isinstance(v, list) else v)
    elif isinstance(sh, list):
        for k in sh:
            out[prefix + str(k)] = "?"
    return out


# probe: id, service, method, path, body, microversion, what the difference matters for
PROBES = [
    ("compute.version", "compute", "GET", "/", None, None, "version negotiation"),
    ("compute.bad-microversion", "compute", "GET", "/servers", None, "9.99", "406 for an unsupported microversion"),
    ("compute.server-404", "compute", "GET", f"/servers/{BOGUS}", None, MV, "itemNotFound format"),
    ("compute.server-delete-404", "compute", "DELETE", f"/servers/{BOGUS}", None, MV, "itemNotFound format"),
    ("compute.flavor-404", "compute", "GET", f"/flavors/{BOGUS}", None, MV, "itemNotFound format"),
    ("compute.list-bad-limit", "compute", "GET", "/servers?limit=abc", None, MV, "badRequest format"),
    ("compute.list-bad-marker", "compute", "GET", f"/servers/detail?marker={BOGUS}", None, MV, "marker not found"),
    ("compute.create-empty", "compute", "POST", "/servers", {}, MV, "badRequest format"),
    ("compute.create-no-flavor", "compute", "POST", "/servers", {"server": {"name": "x", "imageRef": "{image}"}}, MV, "validation"),
    ("compute.create-bad-flavor", "compute", "POST", "/servers",
     {"server": {"name": "x", "imageRef": "{image}", "flavorRef": BOGUS, "networks": "none"}}, MV, "validation"),
    ("compute.flavors-detail", "compute", "GET", "/flavors/detail", None, MV, "flavor fields"),
    ("compute.azs", "compute", "GET", "/os-availability-zone", None, MV, "AZ fields"),
    ("compute.limits", "compute", "GET", "/limits", None, MV, "limits fields"),
    ("compute.keypair-bad-key", "compute", "POST", "/os-keypairs",
     {"keypair": {"name": "contract-bad", "public_key": "ssh-rsa notakey"}}, MV, "keypair validation"),
    ("compute.keypair-404", "compute", "GET", "/os-keypairs/contract-no-such-key", None, MV, "itemNotFound format"),
    ("compute.keypair-show", "compute", "GET", "/os-keypairs/{keypair}", None, MV, "keypair fields"),
    ("compute.server-show", "compute", "GET", "/servers/{server}", None, MV, "server fields clients read"),
    ("compute.server-list-page", "compute", "GET", "/servers/detail?limit=1", None, MV, "paging links"),
    ("compute.server-interfaces", "compute", "GET", "/servers/{server}/os-interface", None, MV, "ports behind a server"),
    ("compute.server-start-active", "compute", "POST", "/servers/{server}/action", {"os-start": None}, MV, "409 conflictingRequest"),
    ("compute.server-bad-action", "compute", "POST", "/servers/{server}/action", {"no-such-action": None}, MV, "unknown action"),
    ("compute.server-attachments", "compute", "GET", "/servers/{server}/os-volume_attachments", None, MV, "attachment list"),
    ("compute.attach-404-volume", "compute", "POST", "/servers/{server}/os-volume_attachments",
     {"volumeAttachment": {"volumeId": BOGUS}}, MV, "attach of a volume that does not exist"),
    ("network.network-404", "network", "GET", f"/networks/{BOGUS}", None, None, "NeutronError format"),
    ("network.create-no-body", "network", "POST", "/networks", {}, None, "NeutronError format"),
    ("network.network-show", "network", "GET", "/networks/{network}", None, None, "network fields"),
    ("network.subnet-show", "network", "GET", "/subnets/{subnet}", None, None, "subnet fields"),
    ("network.subnet-bad-cidr", "network", "POST", "/subnets",
     {"subnet": {"network_id": "{network}", "ip_version": 4, "cidr": "10.66.0.300/24"}}, None, "InvalidInput"),
    ("network.subnet-overlap", "network", "POST", "/subnets",
     {"subnet": {"network_id": "{network}", "ip_version": 4, "cidr": "10.66.0.0/25"}}, None, "overlapping CIDR"),
    ("network.list-page", "network", "GET", "/networks?limit=1", None, None, "paging links"),
    ("network.port-show", "network", "GET", "/ports/{port}", None, None, "port fields"),
    ("network.ports-of-server", "network", "GET", "/ports?device_id={server}", None, None, "server ports in Neutron"),
    ("network.router-show", "network", "GET", "/routers/{router}", None, None, "router fields"),
    ("network.secgroup-show", "network", "GET", "/security-groups/{secgroup}", None, None, "security group + default rules"),
    ("network.delete-in-use", "network", "DELETE", "/networks/{network}", None, None, "409 NetworkInUse"),
    ("image.image-404", "image", "GET", f"/images/{BOGUS}", None, None, "404 body"),
    ("image.create-bad-format", "image", "POST", "/images", {"name": "x", "disk_format": "bogus"}, None, "400 body"),
    ("image.image-show", "image", "GET", "/images/{image}", None, None, "image fields"),
    ("image.list-page", "image", "GET", "/images?limit=1", None, None, "paging (next)"),
    ("image.schema", "image", "GET", "/schemas/image", None, None, "schema available"),
    ("volume.volume-404", "block_storage", "GET", f"/volumes/{BOGUS}", None, None, "itemNotFound format"),
    ("volume.create-size-0", "block_storage", "POST", "/volumes", {"volume": {"size": 0}}, None, "badRequest format"),
    ("volume.volume-show", "block_storage", "GET", "/volumes/{volume}", None, None, "volume fields"),
    ("volume.list-page", "block_storage", "GET", "/volumes/detail?limit=1", None, None, "paging links"),
    ("volume.azs", "block_storage", "GET", "/os-availability-zone", None, None, "AZ fields"),
    ("volume.bad-microversion", "block_storage", "GET", "/volumes", None, "3.999", "unsupported microversion"),
]


def wait(fn, timeout=120):
    end = time.time() + timeout
    while time.time() < end:
        if fn():
            return True
        time.sleep(0.5)
    return False


def setup(cloud, tag, pubkey):
    """Creates the same resources on both sides: image, network/subnet/router/port, security group,
    key pair, a server on the network, a volume."""
    c, ids = cloud, cloud.ids
    st, _, b = c.req("image", "POST", "/images", {"name": tag + "-img", "disk_format": "raw", "container_format": "bare"})
    ids["image"] = b["id"]
    c.req("image", "PUT", "/images/{image}/file", raw=b"x" * 4096, headers={"Content-Type": "application/octet-stream"})
    st, _, b = c.req("network", "POST", "/networks", {"network": {"name": tag + "-net"}})
    ids["network"] = b["network"]["id"]
    st, _, b = c.req("network", "POST", "/subnets", {"subnet": {"network_id": ids["network"], "ip_version": 4,
                                                               "cidr": "10.66.0.0/24", "name": tag + "-sub"}})
    ids["subnet"] = b["subnet"]["id"]
    st, _, b = c.req("network", "POST", "/routers", {"router": {"name": tag + "-r"}})
    ids["router"] = b["router"]["id"]
    st, _, b = c.req("network", "POST", "/ports", {"port": {"network_id": ids["network"], "name": tag + "-port"}})
    ids["port"] = b["port"]["id"]
    st, _, b = c.req("network", "POST", "/security-groups", {"security_group": {"name": tag + "-sg"}})
    ids["secgroup"] = b["security_group"]["id"]
    st, _, b = c.req("compute", "POST", "/os-keypairs", {"keypair": {"name": tag + "-key", "public_key": pubkey}}, mv=MV)
    ids["keypair"] = b["keypair"]["name"]
    flavor = c.conn.compute.find_flavor("m1.tiny")
    st, _, b = c.req("compute", "POST", "/servers", {"server": {
        "name": tag + "-vm", "imageRef": ids["image"], "flavorRef": flavor.id,
        "networks": [{"uuid": ids["network"]}]}}, mv=MV)
    if st != 202:
        raise SystemExit(f"{cloud.label}: server create -> {st} {b}")
    ids["server"] = b["server"]["id"]
    st, _, b = c.req("block_storage", "POST", "/volumes", {"volume": {"size": 1, "name": tag + "-vol"}})
    ids["volume"] = b["volume"]["id"]
    ok = wait(lambda: c.req("compute", "GET", "/servers/{server}", mv=MV)[2]["server"]["status"] == "ACTIVE")
    ok = ok and wait(lambda: c.req("block_storage", "GET", "/volumes/{volume}")[2]["volume"]["status"] == "available")
    if not ok:
        raise SystemExit(f"{cloud.label}: server or volume did not become ready")


def teardown(cloud):
    c, ids = cloud, cloud.ids
    for svc, path in (("compute", "/servers/{server}"), ("block_storage", "/volumes/{volume}"),
                      ("compute", "/os-keypairs/{keypair}"), ("network", "/ports/{port}"),
                      ("network", "/routers/{router}"), ("network", "/security-groups/{secgroup}")):
        try:
            c.req(svc, "DELETE", path, mv=MV if svc == "compute" else None)
        except KeyError:
            pass
    if "server" in ids:
        wait(lambda: c.req("compute", "GET", "/servers/{server}", mv=MV)[0] == 404)
    for path in ("/subnets/{subnet}", "/networks/{network}"):
        try:
            c.req("network", "DELETE", path)
        except KeyError:
            pass
    if "image" in ids:
        c.req("image", "DELETE", "/images/{image}")


def some(keys, n=10):
    return ", ".join(keys[:n]) + (f" (+{len(keys) - n} more)" if len(keys) > n else "")


def compare(pid, real, sim):
    """Differences between one answer of each side, as (kind, text)."""
    (rs, rct, rj), (ss, sct, sj) = real, sim
    out = []
    if rs != ss:
        out.append(("status", f"status {rs} (real) vs {ss} (simulator)"))
    if rct != sct and not (rs == 204 and ss == 204):
        out.append(("content-type", f"Content-Type {rct or '-'} (real) vs {sct or '-'} (simulator)"))
    if rs >= 400 and ss >= 400:
        rk = sorted(rj) if isinstance(rj, dict) else type(rj).__name__
        sk = sorted(sj) if isinstance(sj, dict) else type(sj).__name__
        if rk != sk:
            out.append(("error-shape", f"error body keys {rk} (real) vs {sk} (simulator)"))
        elif isinstance(rj, dict) and rk and isinstance(rj[rk[0]], dict):
            inner_r, inner_s = sorted(rj[rk[0]]), sorted(sj[rk[0]]) if isinstance(sj[rk[0]], dict) else []
            if inner_r != inner_s:
                out.append(("error-shape", f"error fields {inner_r} (real) vs {inner_s} (simulator)"))
            if rk == ["NeutronError"] and rj["NeutronError"].get("type") != (sj.get("NeutronError") or {}).get("type"):
                out.append(("error-type", f"NeutronError type {rj['NeutronError'].get('type')} (real) vs "
                                          f"{(sj.get('NeutronError') or {}).get('type')} (simulator)"))
    elif rs < 400 and ss < 400:
        depth = 1 if pid == "image.schema" else 2
        fr, fs = flat(shape(rj, depth)), flat(shape(sj, depth))
        # below a list that is empty on one side there is nothing to compare (counts are checked apart)
        empty = [k for k, v in list(fr.items()) + list(fs.items()) if v == "[]"]
        under = lambda k: any(k.startswith(e + ".") for e in empty)
        missing = sorted(k for k in fr if k not in fs and not under(k))
        extra = sorted(k for k in fs if k not in fr and not under(k))
        if missing:
            out.append(("missing-fields", "fields the real service returns, the simulator does not: " + some(missing)))
        if extra:
            out.append(("extra-fields", "fields only the simulator returns: " + some(extra)))
        # counts clients rely on: ports behind a server, rules of a new security group, attachments
        for key in ("interfaceAttachments", "ports"):
            if isinstance(rj, dict) and key in rj and isinstance(sj, dict) and key in sj and len(rj[key]) != len(sj[key]):
                out.append(("count", f"{key}: {len(rj[key])} (real) vs {len(sj[key])} (simulator)"))
        if pid == "network.secgroup-show":
            nr = len(rj["security_group"]["security_group_rules"]); ns = len(sj["security_group"]["security_group_rules"])
            if nr != ns:
                out.append(("count", f"rules of a new security group: {nr} (real) vs {ns} (simulator)"))
        if pid == "compute.server-show":
            ar = sum(len(v) for v in rj["server"]["addresses"].values())
            ad = sum(len(v) for v in sj["server"]["addresses"].values())
            if ar != ad or sorted(rj["server"]["addresses"]) != sorted(sj["server"]["addresses"]):
                out.append(("addresses", f"server addresses keyed {sorted(rj['server']['addresses'])} ({ar}) (real) vs "
                                         f"{sorted(sj['server']['addresses'])} ({ad}) (simulator)"))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--real-auth", default="http://127.0.0.1:5000/v3")
    ap.add_argument("--sim-auth", default="http://127.0.0.1:35100/v3")
    ap.add_argument("--region", default="RegionOne")
    ap.add_argument("--write")
    ap.add_argument("--check")
    ap.add_argument("--json")
    ap.add_argument("--parts", default="core,database")
    args = ap.parse_args()
    parts = set(args.parts.split(","))
    tag = "contract-" + uuid.uuid4().hex[:6]
    d = tempfile.mkdtemp()
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", d + "/k"], check=True)
    pub = open(d + "/k.pub").read().strip()
    real, sim = Cloud("real", args.real_auth, args.region), Cloud("simulator", args.sim_auth, args.region)
    t0 = time.time()
    diffs, rows = [], []
    try:
        if "database" in parts and database.available(real, args.region):
            r, d = database.run(real, sim, args.region, args.sim_auth, compare, tag)
            rows += r
            diffs += d
        elif "database" in parts:
            print(f"database part skipped: no database endpoint in the real {args.region}")
        probes = PROBES if "core" in parts else []
        for cloud in (real, sim) if probes else ():
            setup(cloud, tag, pub)
        # the network has a port and a server on it, so its delete is refused (409) on both sides
        for pid, svc, method, path, body, mv, why in probes:
            body_r = json.loads(json.dumps(body).replace('"{image}"', json.dumps(real.ids.get("image", ""))).replace(
                '"{network}"', json.dumps(real.ids.get("network", "")))) if body else body
            body_s = json.loads(json.dumps(body).replace('"{image}"', json.dumps(sim.ids.get("image", ""))).replace(
                '"{network}"', json.dumps(sim.ids.get("network", "")))) if body else body
            a = real.req(svc, method, path, body_r, mv=mv)
            b = sim.req(svc, method, path, body_s, mv=mv)
            found = compare(pid, a, b)
            rows.append((pid, method, path, a[0], b[0], why))
            for kind, text in found:
                diffs.append({"id": f"{pid}:{kind}", "request": f"{method} {path}", "why": why, "difference": text})
    finally:
        for cloud in (real, sim):
            teardown(cloud)
    print(f"{len(rows)} requests compared in {time.time() - t0:.0f}s; {len(diffs)} differences")
    for dd in diffs:
        print(f"  {dd['id']}: {dd['request']}: {dd['difference'][:200]}")
    if args.json:
        json.dump({"probes": rows, "differences": diffs}, open(args.json, "w"), indent=1)
    if args.write:
        write_md(args.write, rows, diffs)
    if args.check:
        known = open(args.check).read()
        new = [dd["id"] for dd in diffs if f"`{dd['id']}`" not in known]
        if new:
            print("differences not listed in " + args.check + ": " + ", ".join(new))
            return 1
        print("every difference is listed in " + args.check)
    return 0


# what a difference means, where it is known (written next to the generated table)
NOTES = {
    "compute.server-show:addresses": "Simulated Nova keys `addresses` by network id; Nova keys them by network "
        "*name*. Simulator gap: clients (and the openstack CLI's Networks column) read them by name.",
    "network.ports-of-server:count": "Simulated Nova creates no Neutron port for a boot on a network (server "
        "addresses are not tied to ports). `openstack port list --server` and Tempest's port checks see none. "
        "Simulator gap; the gateway's own boot passes pre-created ports, so its journeys are less affected.",
    "network.subnet-bad-cidr:error-type": "Neutron answers a bad CIDR with type `InvalidInput`; the simulator "
        "with `HTTPBadRequest`. Clients and Tempest match on the type.",
    "network.secgroup-show:count": "Real-region artefact, not a simulator bug: e2e/regions builds Neutron's "
        "schema from its models (one 2026.1 migration is MySQL-only), so the default security-group rule "
        "templates are never seeded and a new group gets 0 rules; a stock Neutron gives it the 2 egress rules "
        "the simulator gives.",
    "network.network-show:extra-fields": "`is_default` / `qos_policy_id` come from extensions the real "
        "regions do not load (auto-allocated-topology, qos); harmless for clients.",
    "network.list-page:extra-fields": "As network-show: extension-dependent fields.",
    "network.port-show:extra-fields": "`qos_policy_id`: qos extension, not loaded in the real regions.",
    "network.subnet-show:extra-fields": "`segment_id`: segments extension, not loaded in the real regions.",
    "network.network-show:missing-fields": "`qinq`, `vlan_transparent`: 2026.1 network fields the simulator "
        "does not return.",
    "network.list-page:missing-fields": "As network-show.",
    "network.subnet-show:missing-fields": "`router:external` on subnets (2026.1).",
    "compute.server-show:missing-fields": "`server_groups` (2.71+) and `trusted_image_certificates` (2.63+) "
        "are missing from the simulated server at microversion 2.79.",
    "compute.server-list-page:missing-fields": "`trusted_image_certificates` (2.63+) missing in detail lists.",
    "compute.server-interfaces:missing-fields": "`tag` (2.70+) missing on interface attachments.",
    "compute.keypair-show:missing-fields": "`updated_at`, `deleted_at` missing on key pair show.",
    "compute.limits:extra-fields": "`maxImageMeta` was removed from limits in 2.39; the simulator still "
        "returns it at 2.79.",
    "image.image-show:missing-fields": "`stores` (multi-store Glance) missing.",
    "image.list-page:missing-fields": "`stores` missing in lists.",
    "volume.volume-show:missing-fields": "Migration status fields (`migration_status`, "
        "`os-vol-mig-status-attr:*`, admin-only) missing.",
    "volume.list-page:missing-fields": "As volume-show.",
    # Database (e2e/contract/database.py against e2e/regions/trove.sh: trove-api 25.1.0 without taskmanager)
    "database.other-project:content-type": "trove-api's AuthorizationMiddleware answers a URL naming another project "
        "with webob's plain 403 page (text/html); the simulator with Trove's JSON `forbidden` fault. Same status.",
    "database.other-project:error-shape": "As its content-type entry: no JSON body from the real one.",
    "database.create-malformed:content-type": "trove-api answers malformed JSON with webob's HTML 400 page; the "
        "simulator with a Trove-format JSON 400. Same status.",
    "database.create-malformed:error-shape": "As its content-type entry.",
    "database.create-no-instance:status": "Trove 25.1.0 bug: a create body without `instance` is a 500 "
        "`instanceFault`; the simulator answers the schema's 400 `badRequest`. Not copied.",
    "database.create-no-instance:error-shape": "As its status entry.",
    "database.datastores:missing-fields": "Admin-only version details Trove puts in datastore lists (`active`, "
        "`image`, `image_tags`, `packages`, `registry_ext`, `repl_strategy`); the simulator's lists carry id/name/links. "
        "The gateway reads a version's image from `GET /datastores/{ds}/versions/{v}`, which has `image` on both.",
    "database.datastore-show:missing-fields": "As datastores.",
    "database.versions-list:missing-fields": "`image_tags`, `registry_ext`, `repl_strategy`: admin-only operator "
        "fields of Trove 25, read by no client or the gateway.",
    "database.version-show:missing-fields": "As versions-list.",
    "database.version-by-id:missing-fields": "As versions-list.",
    "database.parameters:missing-fields": "`min` of parameters whose Trove rule has one (e.g. autocommit 0): the "
        "simulator's subset of the mysql rules leaves some out.",
    "database.create:missing-fields": "`access` (Trove 25's public-access view, `{}`), `datastore.version_number`, `service_status_updated` and the admin-only `server_id`, `volume_id`, `encrypted_rpc_messaging`: simulator gap (not read by the gateway or the clients' table columns); to add to OpenStackModels' DatabaseInstance.",
    "database.instance-show:missing-fields": "As create.",
    "database.instance-detail:missing-fields": "As create.",
    "database.instance-list:missing-fields": "`access`: as create.",
    "database.instance-list-page:missing-fields": "`access` as create; `links`: the real region keeps earlier "
        "runs' instances (deleting forever without a taskmanager), so it has a next page and the simulator not.",
    "database.rename-building:status": "Artefact of trove-api without taskmanager: no Nova server is ever made, "
        "so its edit answers 422 'Instance X is not ready.'; with a server in BUILD Trove renames (202) as the "
        "simulator does.",
    "database.instance-show-error:missing-fields": "`fault`: Trove records the refused delete (422) as the "
        "instance's fault and shows it; the simulator records no faults. Plus the fields of create.",
    "database.instance-show-deleting:missing-fields": "As instance-show-error.",
}


def write_md(path, rows, diffs):
    lines = [
        "# Simulator vs real OpenStack: known differences",
        "",
        "Generated by `e2e/contract/contract.py --write` (see e2e/README.md): the same requests sent to a real",
        "region (OpenStack 2026.1 from e2e/regions, RegionOne; its Trove: trove-api 25.1.0 from e2e/regions/trove.sh,",
        "API only, see e2e/contract/database.py) and to a simulated one (`tricircle sim`), answers",
        "compared on status code, Content-Type, error body shape (and Neutron's error type), the fields of",
        "resources clients read, and a few counts (ports behind a server, rules of a new security group).",
        "Nothing here is fixed by the e2e owner: these are handed to the simulator's owners. CI runs",
        "`contract.py --check` against this file and fails on a difference not listed here.",
        "",
        f"{len(rows)} requests, {len(diffs)} differences.",
        "",
        "| id | request | difference | matters for |",
        "|---|---|---|---|",
    ]
    for dd in diffs:
        lines.append(f"| `{dd['id']}` | `{dd['request']}` | {dd['difference'].replace('|', '/')} | {dd['why']} |")
    lines += ["", "## What they mean", ""]
    lines += [f"- `{dd['id']}`: {NOTES.get(dd['id'], 'not yet triaged')}" for dd in diffs]
    lines += ["", "## Requests compared (status real / simulator)", "", "| probe | request | real | simulator |",
              "|---|---|---|---|"]
    for pid, method, p, a, b, why in rows:
        lines.append(f"| {pid} | `{method} {p}` | {a} | {b} |")
    open(path, "w").write("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
