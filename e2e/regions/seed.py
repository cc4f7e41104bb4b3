#!/usr/bin/env python3
"""Give each real region what an operator's cloud starts with: flavor m1.tiny (same id everywhere, as the
gateway's flavor mapping prefers). Idempotent, one process. usage: seed.py REGION..."""
import os, sys
import openstack

for region in sys.argv[1:]:
    c = openstack.connect(auth_url=os.environ["OS_AUTH_URL"], username="admin", password=os.environ["ADMIN_PASS"],
                          project_name="admin", user_domain_name="Default", project_domain_name="Default",
                          region_name=region, load_envvars=False, load_yaml_config=False)
    if not c.compute.find_flavor("m1.tiny", ignore_missing=True):
        c.compute.create_flavor(name="m1.tiny", ram=64, vcpus=1, disk=1, id="e2e00000-0000-4000-8000-000000000001")
    print(f"{region}: flavors {sorted(f.name for f in c.compute.flavors())}")
