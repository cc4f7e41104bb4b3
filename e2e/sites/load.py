#!/usr/bin/env python3
"""A short load run through the gateways behind HAProxy, then the checks that nothing was lost or doubled.

    load.py --servers 100 --concurrency 8 --tricircle BIN --config-file NODE.conf [--json FILE]

With an admin openrc of the sites (OS_REGION_NAME=CentralRegion = HAProxy): the demo project's quota is raised,
then N servers are booted (az1/az2 alternately, on demo's `private` network), C at a time, each polled until
ACTIVE; then checked: every server is in exactly one pod (asked of RegionOne and RegionTwo directly) and in
the pod its AZ names, and `tricircle audit` finds 0/0/0/0. Then all are deleted, C at a time, each polled
until 404 through HAProxy; checked again: no pod holds any of them, audit 0/0/0/0, no job failed, none left
queued. Exit 1 on any failed check.
"""
import argparse, json, os, statistics, subprocess, sys, threading, time, uuid
from concurrent.futures import ThreadPoolExecutor

from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

REGIONS = {"az1": "RegionOne", "az2": "RegionTwo"}


def sess(user, password, project):
    auth = v3.Password(auth_url=os.environ["OS_AUTH_URL"], username=user, password=password, project_name=project,
                       user_domain_name="Default", project_domain_name="Default")
    return ks_session.Session(auth=auth)


def call(s, service, region, method, path, expect=None, **kw):
    r = s.request(path, method, endpoint_filter={"service_type": service, "region_name": region, "interface": "public"},
                  raise_exc=False, **kw)
    if expect is not None and r.status_code not in (expect if isinstance(expect, tuple) else (expect,)):
        raise RuntimeError(f"{method} {region} {service} {path} -> {r.status_code}: {r.text[:300]}")
    return r


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] if values else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--servers", type=int, default=100)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--tricircle", required=True, help="the tricircle binary (for audit and job list)")
    ap.add_argument("--config-file", required=True, help="a gateway node's config (audit reads its database)")
    ap.add_argument("--timeout", type=float, default=90)
    ap.add_argument("--json")
    args = ap.parse_args()
    top = "CentralRegion"
    admin = sess("admin", os.environ.get("OS_PASSWORD", "secret"), "admin")
    demo_s = sess("demo", "demopass", "demo")
    demo_project = demo_s.get_project_id()
    big = {"instances": 1000, "cores": 2000, "ram": 4096000}
    call(admin, "compute", top, "PUT", f"/os-quota-sets/{demo_project}", 200, json={"quota_set": big})
    image = call(demo_s, "image", top, "GET", "/v2/images?name=cirros-sandbox", 200).json()["images"][0]["id"]
    run = "load-" + uuid.uuid4().hex[:6]
    # A network of the run's own, large enough for every server (the sandbox's `private` is a /26)
    net = call(demo_s, "network", top, "POST", "/v2.0/networks", 201, json={"network": {"name": run}}).json()["network"]["id"]
    call(demo_s, "network", top, "POST", "/v2.0/subnets", 201, json={"subnet": {
        "name": run, "network_id": net, "ip_version": 4, "cidr": "10.250.0.0/22"}})
    local = threading.local()
    failures, lock = [], threading.Lock()

    def demo():
        if not hasattr(local, "s"):
            local.s = sess("demo", "demopass", "demo")
        return local.s

    def fail(msg):
        with lock:
            failures.append(msg)

    def boot(i):
        az = "az1" if i % 2 == 0 else "az2"
        t0 = time.time()
        r = call(demo(), "compute", top, "POST", "/servers", json={"server": {
            "name": f"{run}-{i}", "flavorRef": "1", "imageRef": image, "availability_zone": az,
            "networks": [{"uuid": net}]}})
        took = time.time() - t0
        if r.status_code != 202:
            fail(f"boot {i}: {r.status_code} {r.text[:200]}")
            return None
        sid = r.json()["server"]["id"]
        deadline = time.time() + args.timeout
        while time.time() < deadline:
            g = call(demo(), "compute", top, "GET", f"/servers/{sid}")
            status = g.json()["server"]["status"] if g.status_code == 200 else f"HTTP {g.status_code}"
            if status == "ACTIVE":
                return sid, az, took, time.time() - t0
            if status == "ERROR" or g.status_code not in (200,):
                fail(f"server {sid}: {status} {g.text[:200]}")
                return None
            time.sleep(0.3)
        fail(f"server {sid}: not ACTIVE within {args.timeout}s")
        return None

    def delete(sid):
        t0 = time.time()
        r = call(demo(), "compute", top, "DELETE", f"/servers/{sid}")
        took = time.time() - t0
        if r.status_code != 204:
            fail(f"delete {sid}: {r.status_code} {r.text[:200]}")
            return None
        deadline = time.time() + args.timeout
        while time.time() < deadline:
            g = call(demo(), "compute", top, "GET", f"/servers/{sid}")
            if g.status_code == 404:
                return took, time.time() - t0
            time.sleep(0.3)
        fail(f"server {sid}: still there {args.timeout}s after its delete")
        return None

    def in_pods():
        """server id -> list of regions holding it (our run's servers only), asked of the regions directly."""
        seen = {}
        for region in REGIONS.values():
            marker = None
            while True:
                q = "/servers?all_tenants=1&limit=1000" + (f"&marker={marker}" if marker else "")
                page = call(admin, "compute", region, "GET", q, 200).json()["servers"]
                for s in page:
                    if s["name"].startswith(run + "-"):
                        seen.setdefault(s["id"], []).append(region)
                if len(page) < 1000:
                    break
                marker = page[-1]["id"]
        return seen

    def audit(label):
        p = subprocess.run([args.tricircle, "audit", "--config-file", args.config_file, "--grace-seconds", "0"],
                           capture_output=True, text=True)
        cells = [[c.strip() for c in line.strip("|").split("|")] for line in p.stdout.splitlines() if line.startswith("|")]
        counts = "/".join(row[-1] for row in cells if row[-1].isdigit())
        print(f"  audit {label}: orphans/rows pointing at nothing/jobs lost/create-locks stuck = {counts}")
        if p.returncode != 0:
            fail(f"audit {label} is not clean:\n{p.stdout}\n{p.stderr[-500:]}")
        return counts

    results = {"servers": args.servers, "concurrency": args.concurrency}
    t0 = time.time()
    with ThreadPoolExecutor(args.concurrency) as pool:
        booted = [b for b in pool.map(boot, range(args.servers)) if b]
    boot_s = time.time() - t0
    posts = [b[2] for b in booted]
    print(f"  booted {len(booted)}/{args.servers} in {boot_s:.1f}s ({len(booted) / boot_s:.1f}/s to ACTIVE); "
          f"POST /servers p50 {pct(posts, 50) * 1000:.0f} ms, p95 {pct(posts, 95) * 1000:.0f} ms")
    results.update(booted=len(booted), boot_seconds=round(boot_s, 1), post_p50_ms=round(pct(posts, 50) * 1000),
                   post_p95_ms=round(pct(posts, 95) * 1000))

    seen = in_pods()
    wrong = [(sid, az, seen.get(sid)) for sid, az, *_ in booted if seen.get(sid) != [REGIONS[az]]]
    extra = set(seen) - {b[0] for b in booted}
    print(f"  in the pods: {len(seen)} servers of this run, {len(wrong)} not exactly once in their AZ's region, "
          f"{len(extra)} the gateway did not answer for")
    for w in wrong[:5]:
        fail(f"server {w[0]} (AZ {w[1]}) is held by {w[2]}")
    for e in list(extra)[:5]:
        fail(f"server {e} in {seen[e]} was never answered by the gateway (a duplicate boot?)")
    results["audit_after_boots"] = audit("after the boots")

    t0 = time.time()
    with ThreadPoolExecutor(args.concurrency) as pool:
        deleted = [d for d in pool.map(delete, [b[0] for b in booted]) if d]
    del_s = time.time() - t0
    print(f"  deleted {len(deleted)}/{len(booted)} in {del_s:.1f}s; DELETE p50 {pct([d[0] for d in deleted], 50) * 1000:.0f} ms")
    results.update(deleted=len(deleted), delete_seconds=round(del_s, 1))
    left = in_pods()
    if left:
        fail(f"{len(left)} servers still in the pods after their deletes: {list(left.items())[:3]}")
    # jobs the run queued (network copies, image copies) settle; none may fail or be left behind
    admin_url = os.environ.get("TRICIRCLE_ADMIN_URL", "http://127.0.0.1:26199")
    token = admin.get_token()
    deadline = time.time() + 30
    while True:
        jobs = []
        url = f"{admin_url}/v1.0/jobs?limit=1000"
        r = admin.get(url, headers={"X-Auth-Token": token}, authenticated=False, raise_exc=False)
        if r.status_code != 200:
            fail(f"GET /v1.0/jobs -> {r.status_code}")
            break
        jobs = r.json().get("jobs", [])
        # A job whose run failed but is scheduled to run again (next_run_at set) is retrying, not failed: e.g.
        # server_delete_confirm asks the pod again until a deleted server is gone.
        pending = [j for j in jobs if j.get("status") in ("new", "running")
                   or (j.get("status") == "failed" and j.get("next_run_at"))]
        if not pending or time.time() > deadline:
            break
        time.sleep(0.5)
    failed = [j for j in jobs if j.get("status") == "failed" and not j.get("next_run_at")]
    print(f"  jobs: {len(jobs)} in all, {len(failed)} failed, {len(pending)} still queued or running")
    for j in failed[:5]:
        fail(f"job {j.get('id')} ({j.get('type')}) failed: {str(j.get('last_error') or j)[:200]}")
    if pending:
        fail(f"{len(pending)} jobs still queued 30 s after the run: {[(j.get('type'), j.get('status')) for j in pending[:5]]}")
    deadline = time.time() + 30
    while True:  # Nova's port deletes reach the top a moment after the servers are gone
        r = call(demo_s, "network", top, "DELETE", f"/v2.0/networks/{net}")
        if r.status_code in (204, 404) or time.time() > deadline:
            break
        time.sleep(0.5)
    if r.status_code != 204:
        fail(f"DELETE the run's network -> {r.status_code} {r.text[:200]}")
    results["audit_after_deletes"] = audit("after the deletes")
    results["failures"] = failures
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    if failures:
        print(f"load run FAILED ({len(failures)}):")
        for f in failures[:20]:
            print("  - " + f)
        return 1
    print("load run: 0 lost, 0 duplicated, audit clean, no job failed or left")
    return 0


if __name__ == "__main__":
    sys.exit(main())
