"""The Database part of the contract checks: the same Trove v1.0 requests to a real trove-api 25.1.0 (e2e/regions/
trove.sh: API only, no taskmanager or guest, so a real instance stays BUILD) and to the simulated Trove, whose
transitions are slowed for the run (`transition_factor` through the simulator's /sim/faults) so its instance is
in BUILD too and both answer for the same state. Used by contract.py when the real region has a `database`
endpoint; compared with contract.py's `compare` (status, Content-Type, error body shape, fields).

The journey: catalog (version document, datastores, versions, parameters, flavors, limits), errors (404s, 400s,
401, 403, Trove's 500 for a create without `instance`), a create that is accepted, listed and shown, what a BUILD
instance answers (actions, guest calls, delete: 422), quota (the project's instances limit set to 0 through
/mgmt/quotas: 413 overLimit, restored after), reset_status (ERROR), the delete accepted then, configuration
groups (created, a bad value refused, deleted), lists of clusters, backups, configurations.
"""
import json
import os
import time
import urllib.request

BOGUS = "00000000-0000-4000-8000-00000000dead"
VERSION = "8.0.21"          # trove.sh names the real version as the simulator names its mysql version

# probe: id, method, path (relative to the project's /v1.0/{project} URL; "^" = the service root), body, why
PROBES = [
    ("database.versions", "GET", "^/", None, "version document"),
    ("database.no-token", "GET", "/instances", "NO-TOKEN", "401 without a token"),
    ("database.other-project", "GET", "^/v1.0/" + BOGUS.replace("-", "") + "/instances", None,
     "403 for another project's URL"),
    ("database.datastores", "GET", "/datastores", None, "datastore fields"),
    ("database.datastore-show", "GET", "/datastores/mysql", None, "datastore by name"),
    ("database.datastore-404", "GET", "/datastores/oracle", None, "itemNotFound format"),
    ("database.versions-list", "GET", "/datastores/mysql/versions", None, "version fields"),
    ("database.version-show", "GET", f"/datastores/mysql/versions/{VERSION}", None, "version by name"),
    ("database.version-by-id", "GET", "/datastores/versions/{version}", None, "version by id"),
    ("database.version-404", "GET", "/datastores/mysql/versions/9.9", None, "itemNotFound format"),
    ("database.parameters", "GET", f"/datastores/mysql/versions/{VERSION}/parameters", None, "configuration parameters"),
    ("database.parameter-show", "GET", f"/datastores/mysql/versions/{VERSION}/parameters/max_connections", None,
     "one parameter"),
    ("database.flavors", "GET", "/flavors", None, "flavor fields (id null, str_id)"),
    ("database.flavor-show", "GET", "/flavors/{flavor}", None, "flavor by id"),
    ("database.flavor-404", "GET", f"/flavors/{BOGUS}", None, "itemNotFound format"),
    ("database.limits", "GET", "/limits", None, "absolute limits"),
    ("database.quota-show", "GET", "/mgmt/quotas/{project}", None, "quota usage view"),
    ("database.instance-404", "GET", f"/instances/{BOGUS}", None, "itemNotFound format"),
    ("database.instance-delete-404", "DELETE", f"/instances/{BOGUS}", None, "itemNotFound format"),
    ("database.instance-action-404", "POST", f"/instances/{BOGUS}/action", {"restart": {}}, "itemNotFound format"),
    ("database.create-no-instance", "POST", "/instances", {}, "a body without 'instance'"),
    ("database.create-malformed", "POST", "/instances", "RAW:{", "malformed JSON"),
    ("database.create-no-volume", "POST", "/instances", {"instance": {"name": "x", "flavorRef": "{flavor}"}},
     "volume required"),
    ("database.create-volume-0", "POST", "/instances",
     {"instance": {"name": "x", "flavorRef": "{flavor}", "volume": {"size": 0}}}, "schema validation"),
    ("database.create-bad-flavor", "POST", "/instances",
     {"instance": {"name": "x", "flavorRef": BOGUS, "volume": {"size": 1}}}, "unknown flavor"),
    ("database.create-bad-datastore", "POST", "/instances",
     {"instance": {"name": "x", "flavorRef": "{flavor}", "volume": {"size": 1}, "datastore": {"type": "oracle"}}},
     "unknown datastore"),
    ("database.create-bad-version", "POST", "/instances",
     {"instance": {"name": "x", "flavorRef": "{flavor}", "volume": {"size": 1},
                   "datastore": {"type": "mysql", "version": "9.9"}}}, "unknown datastore version"),
    ("database.create", "POST", "/instances",
     {"instance": {"name": "{tag}-db", "flavorRef": "{flavor}", "volume": {"size": 1},
                   "datastore": {"type": "mysql", "version": VERSION}}}, "instance create accepted"),
    ("database.instance-show", "GET", "/instances/{instance}", None, "instance fields"),
    ("database.instance-list", "GET", "/instances", None, "instance list fields"),
    ("database.instance-detail", "GET", "/instances/detail", None, "detailed list fields"),
    ("database.instance-list-page", "GET", "/instances?limit=1", None, "paging"),
    ("database.restart-building", "POST", "/instances/{instance}/action", {"restart": {}}, "action on BUILD: 422"),
    ("database.resize-building", "POST", "/instances/{instance}/action", {"resize": {"volume": {"size": 2}}},
     "resize on BUILD: 422"),
    ("database.databases-building", "GET", "/instances/{instance}/databases", None, "guest call on BUILD"),
    ("database.users-building", "GET", "/instances/{instance}/users", None, "guest call on BUILD"),
    ("database.root-building", "GET", "/instances/{instance}/root", None, "guest call on BUILD"),
    ("database.rename-building", "PATCH", "/instances/{instance}", {"instance": {"name": "{tag}-db2"}},
     "rename while BUILD"),
    ("database.delete-building", "DELETE", "/instances/{instance}", None, "delete on BUILD: 422"),
    ("database.quota-zero", "PUT", "/mgmt/quotas/{project}", {"quotas": {"instances": 0}}, "quota update"),
    ("database.create-over-quota", "POST", "/instances",
     {"instance": {"name": "{tag}-over", "flavorRef": "{flavor}", "volume": {"size": 1},
                   "datastore": {"type": "mysql", "version": VERSION}}}, "413 overLimit"),
    ("database.quota-bad-resource", "PUT", "/mgmt/quotas/{project}", {"quotas": {"nosuch": 1}}, "unknown quota"),
    ("database.reset-status", "POST", "/instances/{instance}/action", {"reset_status": {}}, "reset_status: 202"),
    ("database.instance-show-error", "GET", "/instances/{instance}", None, "ERROR after reset_status"),
    ("database.delete", "DELETE", "/instances/{instance}", None, "delete accepted"),
    ("database.instance-show-deleting", "GET", "/instances/{instance}", None, "a deleting instance"),
    ("database.configuration-create", "POST", "/configurations",
     {"configuration": {"name": "{tag}-cfg", "values": {"max_connections": 200},
                        "datastore": {"type": "mysql", "version": VERSION}}}, "configuration group fields"),
    ("database.configuration-bad-value", "POST", "/configurations",
     {"configuration": {"name": "{tag}-bad", "values": {"max_connections": "many"},
                        "datastore": {"type": "mysql", "version": VERSION}}}, "a value of the wrong type"),
    ("database.configuration-unknown", "POST", "/configurations",
     {"configuration": {"name": "{tag}-bad", "values": {"no_such_parameter": 1},
                        "datastore": {"type": "mysql", "version": VERSION}}}, "an unknown parameter"),
    ("database.configuration-show", "GET", "/configurations/{configuration}", None, "configuration fields"),
    ("database.configuration-404", "GET", f"/configurations/{BOGUS}", None, "itemNotFound format"),
    ("database.configuration-delete", "DELETE", "/configurations/{configuration}", None, "configuration delete"),
    ("database.clusters", "GET", "/clusters", None, "cluster list"),
    ("database.backups", "GET", "/backups", None, "backup list"),
    ("database.configurations", "GET", "/configurations", None, "configuration list"),
]


class Trove:
    """One side's Trove: its /v1.0/{project} URL, the keystoneauth session of contract.py's Cloud."""

    def __init__(self, cloud, region):
        self.cloud = cloud
        self.session = cloud.conn.session
        self.base = self.session.get_endpoint(service_type="database", interface="public", region_name=region)
        self.root = self.base.split("/v1.0")[0]
        self.project = cloud.conn.current_project_id
        self.ids = {"project": self.project}

    def fill(self, text):
        for k, v in self.ids.items():
            text = text.replace("{" + k + "}", v)
        return text

    def req(self, method, path, body=None):
        url = self.root + self.fill(path[1:]) if path.startswith("^") else self.base + self.fill(path)
        kw, headers = {}, {}
        if body == "NO-TOKEN":
            kw["authenticated"] = False
        elif isinstance(body, str) and body.startswith("RAW:"):
            kw["data"], headers["Content-Type"] = body[4:], "application/json"
        elif body is not None:
            kw["json"] = json.loads(self.fill(json.dumps(body)))
        r = self.session.request(url, method, raise_exc=False, headers=headers, **kw)
        try:
            js = r.json() if r.content else None
        except ValueError:
            js = None
        return r.status_code, r.headers.get("Content-Type", "").split(";")[0], js


def available(cloud, region):
    """Whether the region's catalog has a Trove (the real regions have one only after e2e/regions/trove.sh)."""
    try:
        return cloud.conn.session.get_endpoint(service_type="database", interface="public", region_name=region) is not None
    except Exception:
        return False


def sim_transitions(sim_auth, region, factor):
    """Slows (or restores) the simulated Trove's status transitions, so its instance stays BUILD as the real one."""
    root = sim_auth.rsplit("/v3", 1)[0]
    req = urllib.request.Request(f"{root}/sim/faults/{region}/database", method="PATCH",
                                 data=json.dumps({"transition_factor": factor}).encode(),
                                 headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=10).read()


def setup(t, tag):
    """What the probes name: a flavor (the smallest), the version's id, the run's tag, the quota to restore."""
    t.ids["tag"] = tag
    st, _, b = t.req("GET", "/flavors")
    flavors = sorted(b["flavors"], key=lambda f: f["ram"])
    t.ids["flavor"] = str(flavors[0].get("str_id") or flavors[0]["id"])
    st, _, b = t.req("GET", f"/datastores/mysql/versions/{VERSION}")
    if st != 200:
        raise SystemExit(f"{t.cloud.label}: datastore version mysql {VERSION} missing ({st}): see e2e/regions/trove.sh")
    t.ids["version"] = b["version"]["id"]
    st, _, b = t.req("GET", "/mgmt/quotas/{project}")
    t.quota = {q["resource"]: q["limit"] for q in b["quotas"]} if st == 200 else {}


def learn(t, pid, answer):
    """Ids the later probes use, from the answers of the earlier ones."""
    st, _, b = answer
    if pid == "database.create" and st == 200:
        t.ids["instance"] = b["instance"]["id"]
    if pid == "database.configuration-create" and st == 200:
        t.ids["configuration"] = b["configuration"]["id"]


def teardown(t):
    """Restores the quota (set to 0 by a probe) and removes what the run made, as far as the API lets it."""
    if getattr(t, "quota", None):
        t.req("PUT", "/mgmt/quotas/{project}", {"quotas": {"instances": t.quota.get("instances", 10)}})
    if "instance" in t.ids:
        t.req("POST", "/instances/{instance}/action", {"reset_status": {}})
        t.req("DELETE", "/instances/{instance}")
    if "configuration" in t.ids:
        t.req("DELETE", "/configurations/{configuration}")


def run(real_cloud, sim_cloud, region, sim_auth, compare, tag):
    """Runs the probes on both sides; returns (rows, diffs) in contract.py's form."""
    real, sim = Trove(real_cloud, region), Trove(sim_cloud, region)
    rows, diffs = [], []
    sim_transitions(sim_auth, region, 1e6)
    try:
        for t in (real, sim):
            setup(t, tag)
        for pid, method, path, body, why in PROBES:
            a, b = real.req(method, path, body), sim.req(method, path, body)
            if os.environ.get("CONTRACT_DEBUG"):
                print(f"--- {pid} {method} {path}\n  real {a[0]} {json.dumps(a[2])[:1500]}\n  sim  {b[0]} {json.dumps(b[2])[:1500]}")
            learn(real, pid, a)
            learn(sim, pid, b)
            rows.append((pid, method, path, a[0], b[0], why))
            for kind, text in compare(pid, a, b):
                diffs.append({"id": f"{pid}:{kind}", "request": f"{method} {path}", "why": why, "difference": text})
    finally:
        for t in (real, sim):
            try:
                teardown(t)
            except Exception as e:  # a teardown failing must not hide the run's result
                print(f"{t.cloud.label}: database teardown: {e}")
        sim_transitions(sim_auth, region, 1)
    return rows, diffs
