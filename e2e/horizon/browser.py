#!/usr/bin/env python3
"""Drives Horizon over the gateway in headless Chromium, as a user of the multi-region cloud would: logs in,
makes sure CentralRegion (the gateway) is the selected region, launches an instance in az2 from the cirros
image on a top network, waits for Active, sees the instances of both regions in one table (an az1 one is
booted through the gateway's API beforehand), creates a volume and attaches it, creates a network with a
subnet and a router, allocates a floating IP, opens the instance's detail page, then deletes everything
through Horizon. Each page is saved as a screenshot; a failed step saves its page, names the failing API
calls from Horizon's log and makes the steps that need it SKIP.

usage: browser.py   (env: HORIZON_URL, HORIZON_KEYSTONE_URL, HORIZON_REGION, HORIZON_USER, HORIZON_PASSWORD,
                     HORIZON_PROJECT, HORIZON_ADMIN_PASSWORD, HORIZON_IMAGE, HORIZON_SHOTS, HORIZON_LOG)
Prints one PASS/FAIL/SKIP line per step and 'N passed, N failed'; exit 1 when a step failed."""
import os
import re
import sys
import time
import traceback

import requests
from selenium import webdriver
from selenium.common import exceptions
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select
from selenium.webdriver.support.wait import WebDriverWait

URL = os.environ.get("HORIZON_URL", "http://127.0.0.1:28080").rstrip("/")
KEYSTONE = os.environ.get("HORIZON_KEYSTONE_URL", "http://127.0.0.1:15000/v3").rstrip("/")
REGION = os.environ.get("HORIZON_REGION", "CentralRegion")
USER = os.environ.get("HORIZON_USER", "demo")
PASSWORD = os.environ.get("HORIZON_PASSWORD", "demopass")
PROJECT = os.environ.get("HORIZON_PROJECT", USER)
ADMIN_PASSWORD = os.environ.get("HORIZON_ADMIN_PASSWORD", "secret")
IMAGE = os.environ.get("HORIZON_IMAGE", "cirros")  # a prefix: the sandbox seeds "cirros-sandbox"
SHOTS = os.environ.get("HORIZON_SHOTS", ".ci-logs/horizon")
API_LOG = os.environ.get("HORIZON_LOG", "/tmp/tricircle-horizon-run/horizon-api.log")
SUFFIX = time.strftime("%H%M%S")
NAMES = {k: f"hz-{k}-{SUFFIX}" for k in ("vm", "vm1", "vol", "net", "subnet", "router", "topnet", "topsubnet")}
WAIT = 60


# ---- the API, straight (preparation that an admin does, and the cleanup after a failure) ----------------------

class Api:
    """Keystone password tokens and the region's endpoints from the catalog."""

    def __init__(self, user, password, project):
        body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": user, "domain": {"name": "Default"}, "password": password}}},
            "scope": {"project": {"name": project, "domain": {"name": "Default"}}}}}
        r = requests.post(f"{KEYSTONE}/auth/tokens", json=body, timeout=30)
        r.raise_for_status()
        self.token = r.headers["X-Subject-Token"]
        self.endpoints = {}
        for service in r.json()["token"]["catalog"]:
            for ep in service["endpoints"]:
                if ep["region_id"] == REGION and ep["interface"] == "public":
                    self.endpoints.setdefault(service["type"], ep["url"].rstrip("/"))

    def call(self, method, service, path, body=None, ok=(200, 201, 202, 204), **headers):
        base = self.endpoints[service]
        if service == "network" and not base.endswith("/v2.0"):
            base += "/v2.0"
        if service == "image" and not base.endswith("/v2"):
            base += "/v2"
        r = requests.request(method, base + path, json=body, timeout=60,
                             headers={"X-Auth-Token": self.token, **headers})
        if r.status_code not in ok:
            raise RuntimeError(f"{method} {service}{path} -> {r.status_code} {r.text[:300]}")
        return r.json() if r.content else {}


def first(items, pred):
    return next((i for i in items if pred(i)), None)


# ---- the browser ----------------------------------------------------------------------------------------------

class Run:
    def __init__(self):
        options = webdriver.ChromeOptions()
        for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1500,1100"):
            options.add_argument(flag)
        options.binary_location = "/usr/bin/chromium"
        self.d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        self.d.implicitly_wait(10)
        self.d.set_page_load_timeout(90)  # a page whose API calls never end fails its step, not the whole run
        self.n = 0
        self.results = []
        self.failed = set()
        self.log_mark = 0

    def shot(self, name):
        self.n += 1
        self.d.save_screenshot(os.path.join(SHOTS, f"{self.n:02d}-{name}.png"))

    def step(self, name, fn, needs=(), shot=True):
        missing = [n for n in needs if n in self.failed]
        if missing:
            self.failed.add(name)
            self.results.append((name, "SKIP", f"needs {', '.join(missing)}"))
            print(f"SKIP {name}: needs {', '.join(missing)}", flush=True)
            return
        self.log_mark = os.path.getsize(API_LOG) if os.path.exists(API_LOG) else 0
        t = time.time()
        try:
            fn()
            if shot:
                self.shot(name)
            self.results.append((name, "PASS", f"{time.time() - t:.1f}s"))
            print(f"PASS {name} ({time.time() - t:.1f}s)", flush=True)
        except Exception as e:  # noqa: BLE001 -- a failed step is reported, the independent ones still run
            self.failed.add(name)
            why = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
            try:
                self.shot(f"{name}-FAILED")
                with open(os.path.join(SHOTS, f"{self.n:02d}-{name}-FAILED.html"), "w") as f:
                    f.write(self.d.page_source)
            except Exception:  # noqa: BLE001
                pass
            calls = self.failing_calls()
            self.results.append((name, "FAIL", why))
            print(f"FAIL {name}: {why}", flush=True)
            for line in self.page_errors() + calls:
                print(f"     {line}", flush=True)
            traceback.print_exc(limit=3)

    def page_errors(self):
        try:
            return [f"page says: {e.text.strip()}" for e in
                    self.d.find_elements(By.CSS_SELECTOR, "div.messages div.alert-danger, .alert-danger, .help-block.error")
                    if e.text.strip()][:5]
        except Exception:  # noqa: BLE001
            return []

    def failing_calls(self):
        """Horizon's API calls during the step that got a 4xx/5xx or raised (keystoneauth's RESP lines)."""
        if not os.path.exists(API_LOG):
            return []
        with open(API_LOG, errors="replace") as f:
            f.seek(self.log_mark)
            text = f.read()
        out = []
        last_req = ""
        for line in text.splitlines():
            if "REQ: " in line and "curl" in line:  # keystoneauth, cinderclient and neutronclient word it apart
                url = re.search(r"(https?://[^\s'\"]+)", line)
                method = re.search(r"-X (\w+)", line)
                last_req = f"{method.group(1) if method else 'GET'} {url.group(1) if url else '?'}"
            m = re.search(r"RESP: \[?(\d{3})\]? ", line)
            if m and int(m.group(1)) >= 400:
                body = re.search(r"RESP BODY: (.*)", line)
                out.append(f"Horizon's call: {last_req} -> {m.group(1)}{(' ' + body.group(1)[:200]) if body else ''}")
            elif " ERROR " in line or "Unable to" in line or "Traceback" in line:
                out.append(f"Horizon's log: {line[:300]}")
        seen = []
        for o in out:
            if o not in seen:
                seen.append(o)
        return seen[:12]

    # -- helpers over Horizon's pages --

    def get(self, path):
        # A failed step's modal may still redirect the page (Horizon's ajax X-Horizon-Location) after we left:
        # make sure we are where we asked to be.
        for _ in range(3):
            self.d.get(URL + path)
            time.sleep(0.5)
            if self.d.current_url.split("?")[0].endswith(path.split("?")[0]):
                return
        raise RuntimeError(f"stayed at {self.d.current_url} instead of {path}")

    def wait(self, cond, timeout=WAIT):
        return WebDriverWait(self.d, timeout).until(cond)

    def messages(self, expect, timeout=WAIT):
        """Waits for Horizon's toast messages; fails when an error shows or `expect` never does."""
        deadline = time.time() + timeout
        seen = []
        while time.time() < deadline:
            self.d.implicitly_wait(0)
            try:
                seen = [m.text for m in self.d.find_elements(By.CSS_SELECTOR, "div.messages div.alert")]
            finally:
                self.d.implicitly_wait(10)
            errors = [m for m in seen if "Error" in m or "Danger" in m]
            if errors:
                raise RuntimeError(f"Horizon says: {errors}")
            if any(expect in m for m in seen):
                return seen
            time.sleep(0.3)
        raise RuntimeError(f"no message containing {expect!r} (saw {seen})")

    def row(self, table, name, timeout=WAIT):
        return self.wait(EC.presence_of_element_located(
            (By.CSS_SELECTOR, f"table#{table} tr[data-display='{name}']")), timeout)

    def row_action(self, table, name, label):
        self.dismiss_messages()
        row = self.row(table, name)
        actions = row.find_element(By.CSS_SELECTOR, "td.actions_column")
        # the first action is a button of its own; the rest are in the dropdown
        for el in actions.find_elements(By.CSS_SELECTOR, "a, button"):
            if el.text.strip() == label and el.is_displayed():
                el.click()
                return
        actions.find_element(By.CSS_SELECTOR, ".dropdown-toggle").click()
        actions.find_element(By.XPATH, f".//ul[contains(@class,'dropdown-menu')]//*[normalize-space()='{label}']").click()

    def cell(self, table, name, header):
        """The text of `name`'s row under the column headed `header`."""
        heads = [h.text.strip() for h in self.d.find_elements(By.CSS_SELECTOR, f"table#{table} thead tr:last-child th")]
        if header not in heads:
            raise RuntimeError(f"table {table} has no column {header!r}: {heads}")
        cells = self.row(table, name).find_elements(By.CSS_SELECTOR, ":scope > td")
        return cells[heads.index(header)].text.strip()

    def dismiss_messages(self):
        """Horizon's toasts sit over the table's action buttons; clear them before clicking one."""
        self.d.execute_script("document.querySelectorAll('div.messages div.alert').forEach(e => e.remove())")

    def tick(self, table, name):
        """Ticks a row's checkbox (the input is hidden behind a themed label)."""
        box = self.row(table, name).find_element(By.CSS_SELECTOR, "input.table-row-multi-select")
        self.d.execute_script("arguments[0].click()", box)

    def click(self, by, what):
        self.dismiss_messages()
        el = self.wait(EC.presence_of_element_located((by, what)))
        self.d.execute_script("arguments[0].scrollIntoView({block: 'center'})", el)
        self.wait(EC.element_to_be_clickable((by, what))).click()

    def confirm(self):
        """Clicks the confirm button of the topmost dialog (opened last, so last in the page)."""
        def topmost(d):
            shown = [b for b in d.find_elements(By.CSS_SELECTOR, ".modal-dialog .modal-footer .btn-danger") if b.is_displayed()]
            return shown[-1] if shown else False
        time.sleep(0.5)  # the dialog fades in
        self.wait(topmost).click()

    def modal_form(self):
        return self.wait(EC.visibility_of_element_located((By.CSS_SELECTOR, ".modal-dialog form")))

    def select_option(self, form, select_id, text_part):
        """Picks the option whose text contains `text_part` in a <select> that Horizon's themable dropdown
        hides: set on the hidden element, with the change event its scripts listen to."""
        select = form.find_element(By.ID, select_id)
        options = [(o.get_attribute("value"), (o.get_attribute("textContent") or "").strip())
                   for o in select.find_elements(By.TAG_NAME, "option")]
        for value, text in options:
            if text_part in text:
                self.d.execute_script(
                    "arguments[0].value = arguments[1];"
                    "arguments[0].dispatchEvent(new Event('change', {bubbles: true}));"
                    "if (window.jQuery) { jQuery(arguments[0]).trigger('change'); }", select, value)
                return
        raise RuntimeError(f"{select_id} has no option with {text_part!r}: {[t for _, t in options]}")

    def row_gone(self, table, name, timeout=WAIT):
        deadline = time.time() + timeout
        while time.time() < deadline:
            self.d.implicitly_wait(0)
            try:
                if not self.d.find_elements(By.CSS_SELECTOR, f"table#{table} tr[data-display='{name}']"):
                    return
            finally:
                self.d.implicitly_wait(10)
            time.sleep(1)
            self.d.refresh()
        raise RuntimeError(f"{name} still listed in {table}")


def main() -> int:
    os.makedirs(SHOTS, exist_ok=True)
    for old in os.listdir(SHOTS):
        if old.endswith((".png", ".html")):
            os.remove(os.path.join(SHOTS, old))
    admin = Api("admin", ADMIN_PASSWORD, "admin")
    user = Api(USER, PASSWORD, PROJECT)
    r = Run()
    state = {}

    # -- preparation through the API: an external network for the router gateway and floating IPs (an admin's
    # job), a top network for the instances, and an az1 instance so the table shows both regions.
    def prepare():
        nets = admin.call("GET", "network", "/networks?router:external=True")["networks"]
        if not nets:
            ext = admin.call("POST", "network", "/networks", {"network": {
                "name": "hz-public", "router:external": True, "shared": False}})["network"]
            admin.call("POST", "network", "/subnets", {"subnet": {
                "network_id": ext["id"], "name": "hz-public-subnet", "cidr": "172.24.40.0/24",
                "ip_version": 4, "enable_dhcp": False}})
            state["ext"] = ext["id"]
            nets = [ext]
        state["ext_name"] = nets[0]["name"]
        net = user.call("POST", "network", "/networks", {"network": {"name": NAMES["topnet"]}})["network"]
        user.call("POST", "network", "/subnets", {"subnet": {
            "network_id": net["id"], "name": NAMES["topsubnet"], "cidr": "10.47.0.0/24", "ip_version": 4}})
        state["topnet"] = net["id"]
        images = user.call("GET", "image", "/images")["images"]
        image = first(images, lambda i: i["name"].startswith(IMAGE))
        if image is None:
            raise RuntimeError(f"no image named {IMAGE}*: {[i['name'] for i in images]}")
        state["image"] = image["name"]
        flavors = user.call("GET", "compute", "/flavors")["flavors"]
        state["flavor"] = (first(flavors, lambda f: f["name"] == "m1.tiny") or flavors[0])["name"]
        flavor_id = first(flavors, lambda f: f["name"] == state["flavor"])["id"]
        vm1 = user.call("POST", "compute", "/servers", {"server": {
            "name": NAMES["vm1"], "imageRef": image["id"], "flavorRef": flavor_id,
            "availability_zone": "az1", "networks": [{"uuid": net["id"]}]}})["server"]
        state["vm1"] = vm1["id"]
    r.step("prepare-api", prepare, shot=False)

    def login():
        r.get("/auth/login/")
        r.shot("login-page")
        r.d.find_element(By.ID, "id_username").send_keys(USER)
        r.d.find_element(By.ID, "id_password").send_keys(PASSWORD)
        r.d.find_element(By.CSS_SELECTOR, "#loginBtn, .btn-primary").click()
        r.wait(EC.presence_of_element_located((By.CSS_SELECTOR, "nav.navbar, #content_body")))
        if "/auth/login" in r.d.current_url:
            raise RuntimeError(f"still on the login page: {r.d.find_element(By.TAG_NAME, 'body').text[:300]}")
    r.step("login", login)

    def region():
        # The header's region menu lists every region of the catalog; pick CentralRegion when another is current.
        header = r.d.find_element(By.CSS_SELECTOR, "nav.navbar").text
        if REGION not in header:
            r.d.get(f"{URL}/auth/switch_services_region/{REGION}/?next=/project/")
            header = r.d.find_element(By.CSS_SELECTOR, "nav.navbar").text
        if REGION not in header:
            raise RuntimeError(f"header does not show {REGION}: {header[:200]}")
        r.get("/project/")
        r.wait(EC.presence_of_element_located((By.CSS_SELECTOR, "#content_body")))
        text = r.d.find_element(By.TAG_NAME, "body").text
        if "Error" in text and "Unable to" in text:
            raise RuntimeError(f"overview shows an error: {text[:300]}")
    r.step("region-and-overview", region, needs=["login"])

    def launch():
        r.get("/project/instances/")
        r.click(By.LINK_TEXT, "Launch Instance")
        wizard = r.wait(EC.visibility_of_element_located((By.CSS_SELECTOR, "wizard")))
        nav = wizard.find_element(By.CSS_SELECTOR, "div.wizard-nav")
        r.wait(EC.visibility_of_element_located((By.XPATH, ".//*[@id='name']"))).send_keys(NAMES["vm"])
        az = Select(wizard.find_element(By.CSS_SELECTOR, "select[ng-model*='availability_zone']"))
        az.select_by_visible_text("az2")
        nav.find_element(By.LINK_TEXT, "Source").click()
        source = wizard.find_element(By.CSS_SELECTOR, "ng-include[ng-form=launchInstanceSourceForm]")
        # boot from the image itself, no new volume
        r.d.implicitly_wait(2)
        try:
            for b in source.find_elements(By.XPATH, ".//*[@id='vol-create'][normalize-space()='No']"):
                if b.is_displayed():
                    b.click()
        finally:
            r.d.implicitly_wait(10)
        transfer(source, state["image"])
        nav.find_element(By.LINK_TEXT, "Flavor").click()
        transfer(wizard.find_element(By.CSS_SELECTOR, "ng-include[ng-form=launchInstanceFlavorForm]"), state["flavor"])
        nav.find_element(By.LINK_TEXT, "Networks").click()
        transfer(wizard.find_element(By.CSS_SELECTOR, "ng-include[ng-form=launchInstanceNetworkForm]"), NAMES["topnet"])
        r.shot("launch-wizard")
        wizard.find_element(By.CSS_SELECTOR, "button.btn-primary.finish").click()
        r.wait(EC.invisibility_of_element_located((By.CSS_SELECTOR, "wizard")))
        r.row("instances", NAMES["vm"])

    def transfer(element, label):
        element.find_element(By.XPATH, f".//*[normalize-space(text())='{label}']//ancestor::tr/td"
                                       "//*[contains(@class,'fa-arrow-up')]").click()
    r.step("launch-instance-az2", launch, needs=["region-and-overview", "prepare-api"])

    def active():
        deadline = time.time() + 120
        status = ""
        while time.time() < deadline:
            r.get("/project/instances/")
            status = r.cell("instances", NAMES["vm"], "Status")
            if status == "Active":
                break
            if status == "Error":
                raise RuntimeError("the instance went to Error")
            time.sleep(2)
        if status != "Active":
            raise RuntimeError(f"instance status {status!r}")
        # both regions' instances in one table, each with its AZ
        for name, zone in ((NAMES["vm"], "az2"), (NAMES["vm1"], "az1")):
            cells = r.row("instances", name).text
            if zone not in cells:
                raise RuntimeError(f"{name} row lacks {zone}: {cells}")
    r.step("instances-active-both-regions", active, needs=["launch-instance-az2"])

    def wait_status(table, name, want, timeout=90):
        deadline = time.time() + timeout
        status = ""
        while time.time() < deadline:
            r.d.refresh()
            status = r.cell(table, name, "Status")
            if status.lower() == want.lower():
                return
            if "error" in status.lower():
                raise RuntimeError(f"{name} went to {status}")
            time.sleep(1.5)
        raise RuntimeError(f"{name} is {status!r}, not {want}")

    def volume():
        r.get("/project/volumes/")
        r.click(By.LINK_TEXT, "Create Volume")
        form = r.modal_form()
        form.find_element(By.ID, "id_name").send_keys(NAMES["vol"])
        size = form.find_element(By.ID, "id_size")
        size.clear()
        size.send_keys("1")
        try:
            r.select_option(form, "id_availability_zone", "az2")
        except exceptions.NoSuchElementException:
            pass
        r.shot("volume-form")
        form.find_element(By.CSS_SELECTOR, ".btn-primary[value='Create Volume']").click()
        r.messages(f'Creating volume "{NAMES["vol"]}"')
        wait_status("volumes", NAMES["vol"], "Available")
    r.step("create-volume", volume, needs=["region-and-overview"])

    def attach():
        r.get("/project/volumes/")
        r.row_action("volumes", NAMES["vol"], "Manage Attachments")
        form = r.wait(EC.visibility_of_element_located((By.CSS_SELECTOR, ".modal-content form#attach_volume_form")))
        r.select_option(form, "id_instance", NAMES["vm"])
        form.find_element(By.CSS_SELECTOR, ".btn-primary[value='Attach Volume']").click()
        r.messages(f"Attaching volume {NAMES['vol']}")
        wait_status("volumes", NAMES["vol"], "In-use")
    r.step("attach-volume", attach, needs=["create-volume", "instances-active-both-regions"])

    def network():
        r.get("/project/networks/")
        r.click(By.LINK_TEXT, "Create Network")
        form = r.wait(EC.visibility_of_element_located((By.CSS_SELECTOR, "form .modal-content")))
        form.find_element(By.ID, "id_net_name").send_keys(NAMES["net"])
        form.find_element(By.CSS_SELECTOR, ".btn-primary.button-next").click()
        form.find_element(By.ID, "id_subnet_name").send_keys(NAMES["subnet"])
        form.find_element(By.ID, "id_cidr").send_keys("10.48.0.0/24")
        form.find_element(By.CSS_SELECTOR, ".btn-primary.button-next").click()
        r.shot("network-form-details")
        form.find_element(By.CSS_SELECTOR, ".btn-primary.button-final").click()
        r.messages(f'Created network "{NAMES["net"]}"')
        r.row("networks", NAMES["net"])
    r.step("create-network-subnet", network, needs=["region-and-overview"])

    def router():
        r.get("/project/routers/")
        r.click(By.LINK_TEXT, "Create Router")
        form = r.modal_form()
        form.find_element(By.ID, "id_name").send_keys(NAMES["router"])
        r.select_option(form, "id_external_network", state.get("ext_name", "public"))
        form.find_element(By.CSS_SELECTOR, ".btn-primary[value='Create Router']").click()
        r.messages(f"Router {NAMES['router']} was successfully created")
        # an interface on the new subnet, from the router's detail page
        r.row("routers", NAMES["router"]).find_element(By.LINK_TEXT, NAMES["router"]).click()
        r.d.find_element(By.LINK_TEXT, "Interfaces").click()
        r.click(By.ID, "interfaces__action_create")
        form = r.modal_form()
        r.select_option(form, "id_subnet_id", NAMES["subnet"])
        form.find_element(By.CSS_SELECTOR, ".btn-primary").click()
        r.messages("Interface added")
    r.step("create-router-interface", router, needs=["create-network-subnet"])

    def floating_ip():
        r.get("/project/floating_ips/")
        r.click(By.LINK_TEXT, "Allocate IP To Project")
        form = r.modal_form()
        form.find_element(By.CSS_SELECTOR, ".btn-primary").click()
        seen = r.messages("Allocated Floating IP")
        ip = re.search(r"\d+\.\d+\.\d+\.\d+", " ".join(seen))
        if not ip:
            raise RuntimeError(f"no address in {seen}")
        state["fip"] = ip.group()
        r.row("floating_ips", state["fip"])
    r.step("allocate-floating-ip", floating_ip, needs=["region-and-overview", "prepare-api"])

    def detail():
        r.get("/project/instances/")
        r.row("instances", NAMES["vm"]).find_element(By.LINK_TEXT, NAMES["vm"]).click()
        r.wait(EC.presence_of_element_located((By.CSS_SELECTOR, ".detail dl, dl.dl-horizontal")))
        text = r.d.find_element(By.TAG_NAME, "body").text
        for want in (NAMES["vm"], "az2", NAMES["topnet"]):
            if want not in text:
                raise RuntimeError(f"detail page lacks {want!r}")
    r.step("instance-detail", detail, needs=["instances-active-both-regions"])

    # -- deleting everything, through Horizon
    def delete_fip():
        r.get("/project/floating_ips/")
        r.row_action("floating_ips", state["fip"], "Release Floating IP")
        r.confirm()
        r.messages("Released Floating IP")
        r.row_gone("floating_ips", state["fip"])
    r.step("delete-floating-ip", delete_fip, needs=["allocate-floating-ip"])

    def detach_delete_volume():
        if "attach-volume" not in r.failed:
            r.get("/project/volumes/")
            r.row_action("volumes", NAMES["vol"], "Manage Attachments")
            r.wait(EC.visibility_of_element_located((By.CSS_SELECTOR, ".modal-content form#attach_volume_form")))
            r.d.find_element(By.CSS_SELECTOR, "table#attachments [id^='attachments__row_'][id$='__action_detach']").click()
            r.confirm()
            r.messages("Detaching Volume")
            wait_status("volumes", NAMES["vol"], "Available")
        r.get("/project/volumes/")
        r.row_action("volumes", NAMES["vol"], "Delete Volume")
        r.confirm()
        r.messages("Scheduled deletion of Volume")
        r.row_gone("volumes", NAMES["vol"])
    r.step("delete-volume", detach_delete_volume, needs=["create-volume"])

    def delete_instances():
        r.get("/project/instances/")
        for name in (NAMES["vm"], NAMES["vm1"]):
            r.tick("instances", name)
        r.click(By.ID, "instances__action_delete")
        r.confirm()
        r.messages("Scheduled deletion of Instance")
        r.row_gone("instances", NAMES["vm"], 90)
        r.row_gone("instances", NAMES["vm1"], 90)
    r.step("delete-instances", delete_instances, needs=["launch-instance-az2"])

    def delete_router():
        r.get("/project/routers/")
        r.row("routers", NAMES["router"]).find_element(By.LINK_TEXT, NAMES["router"]).click()
        r.d.find_element(By.LINK_TEXT, "Interfaces").click()
        box = r.d.find_element(By.CSS_SELECTOR, "table#interfaces input.table-row-multi-select")
        r.d.execute_script("arguments[0].click()", box)
        r.click(By.ID, "interfaces__action_delete")
        r.confirm()
        r.messages("Deleted Interface")
        r.get("/project/routers/")
        r.row_action("routers", NAMES["router"], "Delete Router")
        r.confirm()
        r.messages("Deleted Router")
        r.row_gone("routers", NAMES["router"])
    r.step("delete-router", delete_router, needs=["create-router-interface"])

    def delete_networks():
        r.get("/project/networks/")
        for name in (NAMES["net"], NAMES["topnet"]):
            r.tick("networks", name)
        r.click(By.ID, "networks__action_delete")
        r.confirm()
        r.messages("Deleted Network")
        r.row_gone("networks", NAMES["net"])
        r.row_gone("networks", NAMES["topnet"])
    r.step("delete-networks", delete_networks, needs=["create-network-subnet", "delete-instances", "delete-router"])

    def logout():
        # Sign Out posts a form (Django 4's logout refuses GET)
        r.get("/project/")
        form = r.d.find_element(By.CSS_SELECTOR, "form[action='/auth/logout/']")
        r.d.execute_script("arguments[0].submit()", form)
        r.wait(EC.presence_of_element_located((By.ID, "id_username")))
    r.step("logout", logout, needs=["login"])
    r.d.quit()

    cleanup(user, admin, state)
    passed = sum(1 for _, s, _ in r.results if s == "PASS")
    failed = sum(1 for _, s, _ in r.results if s == "FAIL")
    skipped = sum(1 for _, s, _ in r.results if s == "SKIP")
    print(f"screenshots in {SHOTS}")
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed or skipped else 0


def cleanup(user, admin, state):
    """Whatever a failed step left behind, deleted through the API (quietly: the browser did it when it passed)."""
    def quiet(fn):
        try:
            fn()
        except Exception:  # noqa: BLE001
            pass
    for s in quiet_list(lambda: user.call("GET", "compute", "/servers")["servers"]):
        if s["name"].startswith("hz-") and s["name"].endswith(SUFFIX):
            quiet(lambda: user.call("DELETE", "compute", f"/servers/{s['id']}", ok=(204, 404)))
    if state.get("fip"):
        for f in quiet_list(lambda: user.call("GET", "network", f"/floatingips?floating_ip_address={state['fip']}")["floatingips"]):
            quiet(lambda: user.call("DELETE", "network", f"/floatingips/{f['id']}", ok=(204, 404)))
    for v in quiet_list(lambda: user.call("GET", "volumev3", "/volumes")["volumes"]):
        if v.get("name") == NAMES["vol"]:
            quiet(lambda: user.call("DELETE", "volumev3", f"/volumes/{v['id']}", ok=(202, 404)))
    for rt in quiet_list(lambda: user.call("GET", "network", f"/routers?name={NAMES['router']}")["routers"]):
        for sn in quiet_list(lambda: user.call("GET", "network", f"/subnets?name={NAMES['subnet']}")["subnets"]):
            quiet(lambda: user.call("PUT", "network", f"/routers/{rt['id']}/remove_router_interface", {"subnet_id": sn["id"]}, ok=(200, 404)))
        quiet(lambda: user.call("DELETE", "network", f"/routers/{rt['id']}", ok=(204, 404)))
    time.sleep(2)
    for name in (NAMES["net"], NAMES["topnet"]):
        for n in quiet_list(lambda: user.call("GET", "network", f"/networks?name={name}")["networks"]):
            quiet(lambda: user.call("DELETE", "network", f"/networks/{n['id']}", ok=(204, 404)))
    if state.get("ext"):
        quiet(lambda: admin.call("DELETE", "network", f"/networks/{state['ext']}", ok=(204, 404)))


def quiet_list(fn):
    try:
        return fn()
    except Exception:  # noqa: BLE001
        return []


if __name__ == "__main__":
    sys.exit(main())
