#!/usr/bin/env python3
"""Give each real region what an operator's cloud starts with: flavors m1.tiny and m1.small (same ids everywhere, as the
gateway's flavor mapping prefers). Idempotent, one process. usage: seed.py REGION..."""
import os, sys
import openstack

for region in sys.argv[1:]:
    c = openstack.connect(auth_url=os.environ["OS_AUTH_URL"], username="admin", password=os.environ["ADMIN_PASS"],
                          project_name="admin", user_domain_name="Default", project_domain_name="Default",
                          region_name=region, load_envvars=False, load_yaml_config=False)
    # m1.small is Tempest's flavor_ref_alt (its flavor filter tests need two flavors)
    for name, ram, fid in (("m1.tiny", 64, "e2e00000-0000-4000-8000-000000000001"),
                           ("m1.small", 128, "e2e00000-0000-4000-8000-000000000002")):
        if not c.compute.find_flavor(name, ignore_missing=True):
            c.compute.create_flavor(name=name, ram=ram, vcpus=1, disk=1, id=fid)
    print(f"{region}: flavors {sorted(f.name for f in c.compute.flavors())}")
