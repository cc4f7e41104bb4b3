#!/usr/bin/env python3
"""Give each real region what an operator's cloud starts with: flavors m1.tiny and m1.small (same ids everywhere, as the
gateway's flavor mapping prefers); then wait until each region can place a server. Idempotent, one process.
usage: seed.py REGION...      env: COMPUTE_READY_TIMEOUT (s, default 300)"""
import os, sys, time
import openstack

TIMEOUT = float(os.environ.get("COMPUTE_READY_TIMEOUT", "300"))


def connect(region):
    return openstack.connect(auth_url=os.environ["OS_AUTH_URL"], username="admin", password=os.environ["ADMIN_PASS"],
                             project_name="admin", user_domain_name="Default", project_domain_name="Default",
                             region_name=region, load_envvars=False, load_yaml_config=False)


def not_ready(c):
    """Why the region would answer a boot with NoValidHost now (None when it would not): the compute service must be
    up and Placement must offer a candidate for the biggest seeded flavor. A region just brought up reports its
    compute node's inventory some seconds after nova-compute starts (slower on a loaded machine: CI once booted
    into an empty Placement)."""
    up = [s for s in c.compute.services() if s.binary == "nova-compute" and s.state == "up" and s.status == "enabled"]
    if not up:
        return "no nova-compute service up"
    r = c.placement.get("/allocation_candidates?resources=VCPU:1,MEMORY_MB:128,DISK_GB:1&limit=1",
                        headers={"OpenStack-API-Version": "placement 1.16"})   # limit: 1.16
    if 400 <= r.status_code < 500:   # our question is wrong: waiting will not help
        sys.exit(f"placement allocation_candidates -> {r.status_code}: {r.text[:300]}")
    if r.status_code != 200:
        return f"placement allocation_candidates -> {r.status_code}"
    if not r.json().get("allocation_requests"):
        return "placement has no allocation candidate yet"
    if not list(c.compute.hypervisors()):
        return "no hypervisor listed yet"
    return None


conns = {region: connect(region) for region in sys.argv[1:]}
for region, c in conns.items():
    # m1.small is Tempest's flavor_ref_alt (its flavor filter tests need two flavors)
    for name, ram, fid in (("m1.tiny", 64, "e2e00000-0000-4000-8000-000000000001"),
                           ("m1.small", 128, "e2e00000-0000-4000-8000-000000000002")):
        if not c.compute.find_flavor(name, ignore_missing=True):
            c.compute.create_flavor(name=name, ram=ram, vcpus=1, disk=1, id=fid)
    print(f"{region}: flavors {sorted(f.name for f in c.compute.flavors())}")

t0 = time.monotonic()
waiting = dict(conns)
while waiting:
    for region, c in list(waiting.items()):
        why = not_ready(c)
        if why is None:
            print(f"{region}: compute ready ({time.monotonic() - t0:.1f}s)")
            del waiting[region]
        elif time.monotonic() - t0 > TIMEOUT:
            sys.exit(f"{region}: compute not ready after {TIMEOUT:.0f}s: {why} (see nova-compute-{region}.log)")
    if waiting:
        time.sleep(1)
