import Foundation

/// A `POST /volumes/{id}/action` body: one key naming the action and its argument object.
///
/// `{"os-extend": {"new_size": 3}}`, `{"os-reset_status": {"status": "available"}}`,
/// `{"os-attach": {"instance_uuid": ..., "mountpoint": "/dev/vdb"}}`, `{"os-detach": {"attachment_id": ...}}`,
/// `{"os-update_readonly_flag": {"readonly": true}}`, `{"os-retype": {"new_type": "ssd"}}`.
public typealias VolumeAction = ServerAction
