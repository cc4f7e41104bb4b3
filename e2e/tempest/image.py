#!/usr/bin/env python3
"""Id of the Tempest image "e2e-tempest-img" in REGION's Glance, uploaded once (4 KiB raw). usage: image.py REGION"""
import io, os, sys
import openstack

c = openstack.connect(auth_url=os.environ["OS_AUTH_URL"], username="admin", password=os.environ["ADMIN_PASS"],
                      project_name="admin", user_domain_name="Default", project_domain_name="Default",
                      region_name=sys.argv[1], load_envvars=False, load_yaml_config=False)
img = c.image.find_image("e2e-tempest-img", ignore_missing=True)
if img is None:
    img = c.image.create_image(name="e2e-tempest-img", disk_format="raw", container_format="bare",
                               visibility="public", data=io.BytesIO(b"\0" * 4096), validate_checksum=False)
print(img.id)
