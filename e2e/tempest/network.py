#!/usr/bin/env python3
"""What Tempest's network tests need from REGION, printed as shell assignments:
PUBLIC_NETWORK_ID (an external flat network "e2e-public" with subnet 203.0.113.0/24, made once by the admin;
at the top it is placed in az1) and NETWORK_EXTENSIONS (the aliases the region's /v2.0/extensions lists, so
Tempest tests what the endpoint says it has). usage: eval "$(network.py REGION)" """
import os, sys
import openstack

region = sys.argv[1]
c = openstack.connect(auth_url=os.environ["OS_AUTH_URL"], username="admin", password=os.environ["ADMIN_PASS"],
                      project_name="admin", user_domain_name="Default", project_domain_name="Default",
                      region_name=region, load_envvars=False, load_yaml_config=False)
net = c.network.find_network("e2e-public", ignore_missing=True)
if net is None:
    attrs = {"name": "e2e-public", "is_router_external": True, "provider_network_type": "flat",
             "provider_physical_network": "public", "is_shared": False}
    if region == "CentralRegion":
        attrs["availability_zone_hints"] = ["az1"]
    net = c.network.create_network(**attrs)
    c.network.create_subnet(network_id=net.id, name="e2e-public-subnet", ip_version=4, cidr="203.0.113.0/24",
                            gateway_ip="203.0.113.1", is_dhcp_enabled=False)
aliases = sorted(e.alias for e in c.network.extensions())
print(f"PUBLIC_NETWORK_ID={net.id}")
print(f"NETWORK_EXTENSIONS={','.join(aliases)}")
