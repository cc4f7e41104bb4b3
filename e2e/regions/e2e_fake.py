"""Nova's fake virt driver with the two things a real driver has that Tempest checks.

- Snapshots get data. nova.virt.fake.FakeDriver.snapshot only moves the task state on: the image Nova's API
  created stays `queued` for ever, so server snapshots and backups (createImage; createBackup and its
  rotation, which Nova runs once the upload ends) never finish. This driver uploads a few bytes of raw data
  as the snapshot, as a real driver uploads the disk, and Nova finishes as usual.
- The host's uptime (`GET /os-hypervisors/{id}/uptime`): FakeDriver has none (Nova answers 501); a real
  driver returns the host's `uptime` output, as this does.
- A node identity that survives a restart: FakeDriver reports a new node uuid in every process, so a
  restarted nova-compute finds a "duplicate compute node record" and exits. This one reports the node
  identity Nova keeps in state_path/compute_id, as real drivers do.

nova.sh copies it into the venv's nova/virt (Nova loads drivers only from there) and selects it with
compute_driver = e2e_fake.E2EFakeDriver.
"""
import io

from nova.image import glance
from nova.virt import fake
from nova.virt import node


class E2EFakeDriver(fake.FakeDriver):
    def snapshot(self, context, instance, image_id, update_task_state):
        super().snapshot(context, instance, image_id, update_task_state)
        data = io.BytesIO(("fake snapshot of %s\n" % instance.uuid).encode() * 64)
        # raw: any bytes are a valid raw disk, so Glance's format inspection accepts them
        glance.API().update(context, image_id, {"disk_format": "raw", "container_format": "bare"},
                            data, purge_props=False)

    def get_host_uptime(self):
        return " 08:32:11 up 93 days, 18:25, 12 users,  load average: 0.20, 0.12, 0.14"

    def get_available_resource(self, nodename):
        resources = super().get_available_resource(nodename)
        resources["uuid"] = node.get_local_node_uuid()
        return resources
