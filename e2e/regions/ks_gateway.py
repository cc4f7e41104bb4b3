#!/usr/bin/env python3
"""Idempotently register the Tricircle gateway in the shared Keystone: region CentralRegion (the top), the
gateway's service user (admin role on project 'service', as a Tricircle service user needs to act in every
pod), and CentralRegion endpoints pointing at the gateway's own front-ends.
usage: ks_gateway.py TOP_REGION ADMIN_URL type=url [type=url ...]
An existing service of the same type (nova's compute, ...) is reused, so the catalog keeps one entry per
type with the top region's endpoints next to the pods' ones, as clients and Tempest expect."""
import os, sys
from keystoneauth1.identity import v3
from keystoneauth1 import session
from keystoneclient.v3 import client

auth = v3.Password(auth_url=os.environ["OS_AUTH_URL"], username="admin", password=os.environ["ADMIN_PASS"],
                   project_name="admin", user_domain_id="default", project_domain_id="default")
ks = client.Client(session=session.Session(auth=auth), interface="public")
top, admin_url, specs = sys.argv[1], sys.argv[2], sys.argv[3:]

proj = next(iter(ks.projects.list(name="service")), None) or ks.projects.create("service", "default")
roles = {r.name: r for r in ks.roles.list()}
for rn in ("admin", "service"):
    if rn not in roles:
        roles[rn] = ks.roles.create(rn)
if not any(r.id == top for r in ks.regions.list()):
    ks.regions.create(id=top)
user = next(iter(ks.users.list(name="tricircle", domain="default")), None) or ks.users.create(
    "tricircle", domain="default", password=os.environ["SERVICE_PASS"])
for rn in ("admin", "service"):
    ks.roles.grant(roles[rn], user=user, project=proj)

def endpoint(stype, url, name):
    svc = next(iter(ks.services.list(type=stype)), None) or ks.services.create(name, stype)
    eps = ks.endpoints.list(service=svc, region=top)
    for iface in ("public", "internal", "admin"):
        e = [x for x in eps if x.interface == iface]
        if not e:
            ks.endpoints.create(svc, url, interface=iface, region=top)
        elif e[0].url != url:
            ks.endpoints.update(e[0], url=url)
    print(f"registered {stype} in {top}: {url}")

endpoint("tricircle", admin_url, "tricircle")
for spec in specs:
    stype, url = spec.split("=", 1)
    endpoint(stype, url, "tricircle-" + stype)
