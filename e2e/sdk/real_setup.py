#!/usr/bin/env python3
"""Give the gateway over the real regions (e2e/regions) what openstacksdk's functional suite expects of a DevStack
cloud, then write the clouds.yaml it reads: projects and users demo/alt_demo (role member), the admin's clouds
(project and system scope), an external network `public` with a subnet and floating IP pool in one top AZ, the demo
project's `private` network, subnet and `router1` to `public`, and a small public image. Everything is made at the
top (CentralRegion) through the gateway, as a user would; Keystone is the regions' own. Idempotent.
usage: real_setup.py CLOUDS_YAML      env: OS_AUTH_URL, ADMIN_PASS, SDK_TOP_REGION (CentralRegion),
                                           SDK_PUBLIC_AZ (az1), SDK_IMAGE (cirros-sdk)"""
import os
import sys

import openstack

AUTH_URL = os.environ["OS_AUTH_URL"]
ADMIN_PASS = os.environ.get("ADMIN_PASS", "secret")
TOP = os.environ.get("SDK_TOP_REGION", "CentralRegion")
PUBLIC_AZ = os.environ.get("SDK_PUBLIC_AZ", "az1")
IMAGE = os.environ.get("SDK_IMAGE", "cirros-sdk")
PHYSNET = "sdk-public"
USERS = (("demo", "demopass"), ("alt_demo", "altpass"))


def connect(user, password, project):
    return openstack.connect(auth_url=AUTH_URL, username=user, password=password, project_name=project,
                             user_domain_name="Default", project_domain_name="Default", region_name=TOP,
                             load_envvars=False, load_yaml_config=False)


admin = connect("admin", ADMIN_PASS, "admin")
member = admin.identity.find_role("member")
if member is None:
    sys.exit("Keystone has no 'member' role (keystone-manage bootstrap makes it)")
for name, password in USERS:
    project = admin.identity.find_project(name, domain_id="default") or \
        admin.identity.create_project(name=name, domain_id="default", description=f"{name} (openstacksdk functional)")
    user = admin.identity.find_user(name, domain_id="default") or \
        admin.identity.create_user(name=name, password=password, domain_id="default", default_project_id=project.id)
    admin.identity.assign_project_role_to_user(project, user, member)

# DevStack's external network: flat on a physical network of its own (the e2e suite's `e2e-public` holds "public"
# in the same regions, and a region takes one flat network per physical network), in one top AZ: the gateway
# places it in that pod and reaches it from the others through its north-south support.
public = admin.network.find_network("public")
if public is not None and public.provider_physical_network != PHYSNET:
    sys.exit(f"a network 'public' on physical network {public.provider_physical_network} exists already")
if public is None:
    public = admin.network.create_network(name="public", is_router_external=True, availability_zone_hints=[PUBLIC_AZ],
                                          provider_network_type="flat", provider_physical_network=PHYSNET)
if not list(admin.network.subnets(network_id=public.id)):
    admin.network.create_subnet(name="public-subnet", network_id=public.id, ip_version=4, cidr="172.24.4.0/24",
                                gateway_ip="172.24.4.1", is_dhcp_enabled=False,
                                allocation_pools=[{"start": "172.24.4.10", "end": "172.24.4.250"}])

demo = connect("demo", "demopass", "demo")
private = demo.network.find_network("private")
if private is None:
    private = demo.network.create_network(name="private")
subnets = list(demo.network.subnets(network_id=private.id))
subnet = subnets[0] if subnets else demo.network.create_subnet(name="private-subnet", network_id=private.id,
                                                               ip_version=4, cidr="10.0.0.0/26")
router = demo.network.find_router("router1")
if router is None:
    router = demo.network.create_router(name="router1", external_gateway_info={"network_id": public.id})
    demo.network.add_interface_to_router(router, subnet_id=subnet.id)

if admin.image.find_image(IMAGE) is None:
    # a few KiB of bytes: the suite boots it on Nova's fake driver, which never reads it
    admin.image.create_image(name=IMAGE, data=b"\0" * 4096, disk_format="raw", container_format="bare",
                             visibility="public")

print(f"real_setup: public {public.id}, demo's private {private.id}, router1 {router.id}, image {IMAGE}")

clouds = ["clouds:"]
for cloud, user, password, project in (("devstack", "demo", "demopass", "demo"),
                                       ("devstack-alt", "alt_demo", "altpass", "alt_demo"),
                                       ("devstack-admin", "admin", ADMIN_PASS, "admin")):
    clouds += [f"  {cloud}:",
               f"    auth: {{auth_url: \"{AUTH_URL}\", username: {user}, password: {password}, project_name: {project},",
               "           user_domain_name: Default, project_domain_name: Default}",
               f"    region_name: {TOP}", "    identity_api_version: 3"]
# keystone-manage bootstrap gives the admin the admin role on the system, as DevStack's cloud of that name uses
clouds += ["  devstack-system-admin:",
           f"    auth: {{auth_url: \"{AUTH_URL}\", username: admin, password: {ADMIN_PASS}, system_scope: all,",
           "           user_domain_name: Default}",
           f"    region_name: {TOP}", "    identity_api_version: 3"]
with open(sys.argv[1], "w") as f:
    f.write("\n".join(clouds) + "\n")
