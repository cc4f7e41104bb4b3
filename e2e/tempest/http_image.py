#!/usr/bin/env python3
"""Serves a small valid qcow2 image at http://127.0.0.1:PORT/e2e-tempest.qcow2 for Tempest's web-download import
test (`[image] http_qcow2_image`): the test machines have no Internet, and Glance's import filtering allows only
ports 80 and 443 by default, hence port 80. Glance inspects the data (format and safety checks of
oslo.utils' format inspector), so it must be a real qcow2: an empty 1 MiB disk (v3 header, refcount table and
block, L1 table), as `qemu-img create -f qcow2` makes one. usage: http_image.py [PORT]  (runs until killed)"""
import http.server
import struct
import sys

CLUSTER = 1 << 16


def qcow2(virtual_size=1 << 20):
    header = struct.pack(
        ">4sIQIIQIIQQIIQQQQII", b"QFI\xfb", 3, 0, 0, 16, virtual_size, 0,
        1, 3 * CLUSTER,          # l1_size, l1_table_offset
        CLUSTER, 1,              # refcount_table_offset, refcount_table_clusters
        0, 0,                    # nb_snapshots, snapshots_offset
        0, 0, 0,                 # incompatible, compatible, autoclear features
        4, 104)                  # refcount_order (16-bit refcounts), header_length
    image = bytearray(4 * CLUSTER)
    image[:len(header)] = header
    image[CLUSTER:CLUSTER + 8] = struct.pack(">Q", 2 * CLUSTER)     # refcount table -> refcount block
    for cluster in range(4):                                         # header, table, block, L1 in use
        image[2 * CLUSTER + 2 * cluster:2 * CLUSTER + 2 * cluster + 2] = struct.pack(">H", 1)
    return bytes(image)


DATA = qcow2()


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path != "/e2e-tempest.qcow2":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(DATA)))
        self.end_headers()
        self.wfile.write(DATA)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 80
    http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
