"""Take the README's screenshots in headless Chromium from a running demo
server: python docs/screenshots/take.py [--base URL] [--db NAME]

Logs in as admin/admin (and as the salesperson lina/lina, in Chinese, for
the Chinese value tab; the service user wangfang/wangfang, in Chinese, and
Ruijin's portal buyer ruijin/ruijin for the device screens), opens each
page, waits until what the picture is about has rendered, and saves a PNG
next to this file. The pyramid PDF is
rendered by the server for a zh_CN user and its first page turned into a
PNG with pdftoppm (poppler-utils).
"""

import argparse
import base64
import datetime
import http.cookiejar
import json
import shutil
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
import xmlrpc.client
from pathlib import Path

import websocket  # websocket-client, in Odoo's requirements

HERE = Path(__file__).resolve().parent
PORT = 9334


class Browser:
    def __init__(self, width=1400, height=900):
        self.profile = tempfile.mkdtemp()
        self.proc = subprocess.Popen(
            [
                shutil.which("chromium") or "chromium",
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--hide-scrollbars",
                f"--user-data-dir={self.profile}",
                f"--remote-debugging-port={PORT}",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/json") as r:
                    tabs = json.load(r)
                break
            except OSError:
                time.sleep(0.2)
        page = next(t for t in tabs if t["type"] == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60)
        self.seq = 0
        self.cmd(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )

    def cmd(self, method, **params):
        self.seq += 1
        self.ws.send(json.dumps({"id": self.seq, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.seq:
                return message.get("result", message)

    def js(self, expression):
        result = self.cmd("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    def goto(self, url):
        self.cmd("Page.navigate", url=url)
        time.sleep(1)

    def wait(self, selector, timeout=300):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.js(f"!!document.querySelector({json.dumps(selector)})"):
                time.sleep(1.5)  # let the rendering settle
                return
            time.sleep(0.3)
        raise TimeoutError(f"{selector} did not appear")

    def click(self, selector):
        self.wait(selector)
        self.js(f"document.querySelector({json.dumps(selector)}).click()")

    def shot(self, name, down_to=None):
        """Save the page; with `down_to` (a selector), only down to the
        bottom of that element (a short list needs no blank screen below)."""
        params = {"format": "png"}
        if down_to:
            bottom = self.js(
                f"document.querySelector({json.dumps(down_to)})"
                ".getBoundingClientRect().bottom"
            )
            width, height = self.js("[innerWidth, innerHeight]")
            params["clip"] = {
                "x": 0,
                "y": 0,
                "width": width,
                "height": min(height, int(bottom) + 24),
                "scale": 1,
            }
        data = self.cmd("Page.captureScreenshot", **params)["data"]
        (HERE / name).write_bytes(base64.b64decode(data))
        print("saved", HERE / name)

    def close(self):
        self.proc.terminate()
        shutil.rmtree(self.profile, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:8069")
    parser.add_argument("--db", default="zhongzheng")
    parser.add_argument(
        "--only",
        help="take only this picture (recommendations.png) or the device ones "
        "(devices)",
    )
    args = parser.parse_args()
    base = args.base.rstrip("/")
    rpc = xmlrpc.client.ServerProxy(f"{base}/xmlrpc/2/object")
    uid = xmlrpc.client.ServerProxy(f"{base}/xmlrpc/2/common").authenticate(
        args.db, "admin", "admin", {}
    )

    def ref(xmlid):
        module, name = xmlid.split(".")
        return rpc.execute_kw(
            args.db,
            uid,
            "admin",
            "ir.model.data",
            "check_object_reference",
            [module, name],
        )[1]

    partner = ref("crm_zhongzheng.res_partner_beijing_union_demo")
    # the same tab as the demo's salesperson, who works in Chinese
    if args.only in (None, "devices"):
        device_shots(base, args.db, rpc, uid, ref)
        if args.only:
            return
    browser = Browser()
    try:
        if args.only == "recommendations.png":
            log_in(browser, base, args.db, "admin")
            recommendations(browser, base, args.db, rpc, uid)
            return
        log_in(browser, base, args.db, "lina")
        value_tab(browser, base, partner, "value-tab-zh.png")
    finally:
        browser.close()

    browser = Browser()
    try:
        log_in(browser, base, args.db, "admin")
        value_tab(browser, base, partner, "value-tab.png")

        browser.goto(f"{base}/odoo/action-crm_zhongzheng.service_ticket_action")
        browser.wait(".o_kanban_record [name=sla_status]")
        browser.shot("ticket-kanban.png")

        browser.goto(
            f"{base}/odoo/action-crm_zhongzheng.customer_value_report_action"
            "?view_type=graph"
        )
        browser.wait(".o_graph_renderer canvas")
        browser.shot("dashboard-graph.png")

        # the campaign bridge (crm_zhongzheng_mass_mailing): the demo's
        # finished campaign, its control group and uplift
        try:
            mailing = ref("crm_zhongzheng_mass_mailing.mailing_mailing_campaign_demo")
        except xmlrpc.client.Fault:
            mailing = None
        if mailing:
            browser.goto(
                f"{base}/odoo/action-mass_mailing.mailing_mailing_action_mail/{mailing}"
            )
            browser.click("a.nav-link[name=customer_uplift]")
            browser.wait("[name=campaign_result_ids] .o_data_row")
            browser.js(
                "document.querySelector('[name=customer_uplift]')"
                ".scrollIntoView({block: 'start'})"
            )
            time.sleep(1)
            browser.shot("campaign-uplift.png")
    finally:
        browser.close()
    pyramid_pdf(base, args.db, ref("crm_zhongzheng.res_company_zhongzheng_demo"))


def log_in(browser, base, db, login):
    """Log in as a demo user whose password is its login."""
    browser.goto(f"{base}/web/login?db={db}")
    browser.wait("#login")
    browser.js(
        f"document.querySelector('#login').value={json.dumps(login)};"
        f"document.querySelector('#password').value={json.dumps(login)};"
        "document.querySelector('form.oe_login_form').submit()"
    )
    # a loaded server answers the login slowly: wait until it has
    deadline = time.time() + 300
    while "/web/login" in (browser.js("location.href") or "/web/login"):
        if time.time() > deadline:
            raise TimeoutError(f"{login} was not logged in")
        time.sleep(0.5)
    time.sleep(1)


def value_tab(browser, base, partner, name):
    browser.goto(f"{base}/odoo/contacts/{partner}")
    browser.click("a.nav-link[name=customer_value]")
    browser.wait("[name=value_points_current] .o_progressbar")
    browser.shot(name)


def recommendations(browser, base, db, rpc, uid):
    """The Customer Value tab's recommended products of the demo customer
    whose first recommendation has the most customers behind it."""
    [first] = rpc.execute_kw(
        db,
        uid,
        "admin",
        "zhongzheng.customer.recommendation",
        "search_read",
        [[("rank", "=", 1), ("kind", "!=", "popular")]],
        {"fields": ["partner_id"], "order": "score desc, id", "limit": 1},
    )
    browser.goto(f"{base}/odoo/contacts/{first['partner_id'][0]}")
    browser.click("a.nav-link[name=customer_value]")
    browser.wait("[name=recommendation_ids] .o_data_row")
    browser.js(
        "document.querySelector('[name=recommendation_ids]')"
        ".scrollIntoView({block: 'center'})"
    )
    time.sleep(1)
    browser.shot("recommendations.png")


def device_shots(base, db, rpc, uid, ref):
    """The installed base and recalls: Ruijin's devices as the service user
    王芳 (wangfang) sees them, in Chinese; a recalled lot's Installed Base
    page and the recall progress as admin; Ruijin's buyer's /my/devices."""
    ruijin = ref("crm_zhongzheng.res_partner_ruijin_demo")
    [lot] = rpc.execute_kw(
        db, uid, "admin", "stock.lot", "search", [[("name", "=", "VT-24003")]]
    )

    def customer_devices(browser):
        browser.goto(f"{base}/odoo/contacts/{ruijin}")
        browser.click("button[name=action_view_zz_devices]")
        browser.click(".o_list_renderer .o_group_header")
        browser.wait(".o_list_renderer .o_data_row")
        browser.shot("device-base-zh.png", down_to=".o_list_renderer table")

    def recalled_lot(browser):
        browser.goto(f"{base}/odoo/action-stock.action_production_lot_form/{lot}")
        browser.click("a.nav-link[name=zz_installed_base]")
        browser.wait("[name=zz_device_ids] .o_data_row")
        browser.shot("lot-recall.png", down_to="[name=zz_device_ids] .o_data_row")

    def recall_progress(browser):
        browser.goto(f"{base}/odoo/action-crm_zhongzheng.device_recall_line_action")
        browser.click(".o_list_renderer .o_group_header")
        browser.wait(".o_list_renderer .o_data_row")
        browser.shot("recall-progress.png", down_to=".o_list_renderer table")

    def portal_devices(browser):
        browser.goto(f"{base}/my/devices")
        browser.wait("#wrap table tbody tr")
        browser.shot("portal-devices.png", down_to="#wrap")

    # lists of many columns need a wider window
    for login, take, width in (
        ("wangfang", customer_devices, 1700),
        ("admin", recalled_lot, 1400),
        ("admin", recall_progress, 1700),
        ("ruijin", portal_devices, 1400),
    ):
        browser = Browser(width=width)
        try:
            log_in(browser, base, db, login)
            take(browser)
        finally:
            browser.close()


def pyramid_pdf(base, db, company_id):
    """Last quarter's customer pyramid, rendered by the server in Chinese."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login = json.dumps(
        {"params": {"db": db, "login": "admin", "password": "admin"}}
    ).encode()
    opener.open(
        urllib.request.Request(
            f"{base}/web/session/authenticate",
            login,
            {"Content-Type": "application/json"},
        )
    )
    day = (
        datetime.date.today().replace(day=1) - datetime.timedelta(days=1)
    ).isoformat()
    query = urllib.parse.urlencode(
        {
            "options": json.dumps({"period": "quarter", "date": day}),
            "context": json.dumps(
                {"lang": "zh_CN", "allowed_company_ids": [company_id]}
            ),
        }
    )
    url = f"{base}/report/pdf/crm_zhongzheng.report_customer_pyramid/{company_id}"
    with opener.open(f"{url}?{query}", timeout=300) as response:
        pdf = response.read()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pyramid.pdf"
        path.write_bytes(pdf)
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "90",
                "-f",
                "1",
                "-l",
                "1",
                "-singlefile",
                path,
                HERE / "pyramid-pdf",
            ],
            check=True,
        )
    print("saved", HERE / "pyramid-pdf.png")


if __name__ == "__main__":
    main()
