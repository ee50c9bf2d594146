#!/usr/bin/env python3
"""Drives the web dashboard of a real `stockroom serve` in a real Chromium (Selenium),
at a phone (390x844) and a desktop (1440x900) viewport, and checks every page it visits:

- axe-core: 0 violations of WCAG 2.1 A/AA and best practices;
- no console errors and no CSP violations;
- no horizontal overflow;
- the first Tab lands on a visible skip link;
- no request leaves the node's origin;
- a screenshot per page and size under --screenshots.

Flows: sign in, search / filter / page / reload / back, CSV export against the screen,
add and edit an item (and a stale edit), adjust and count, a <script> in a name, settings
(admin) and 403 (staff), a session that ends during an htmx request, sign out, error pages,
and the inventory with JavaScript off.

Run by Tests/Web/run.sh, which starts the node; the seed and port come from there.
"""
import argparse
import csv
import http.server
import io
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
SIZES = [("phone", 390, 844), ("desktop", 1440, 900)]

failures = []


def fail(message):
    failures.append(message)
    print("FAIL:", message, flush=True)


def check(condition, message):
    if not condition:
        fail(message)
    return condition


class Browser:
    def __init__(self, base, axe_source, shots, size, javascript=True):
        self.base, self.axe_source, self.shots = base, axe_source, shots
        self.size, (self.size_name, width, height) = size, size
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                         "--window-size=1600,1200", "--lang=en-US"]:
            options.add_argument(argument)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        if not javascript:
            options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
        service = webdriver.ChromeService(executable_path="/usr/bin/chromedriver")
        self.driver = webdriver.Chrome(options=options, service=service)
        # The exact viewport (--window-size includes the browser's chrome), and no smooth
        # scrolling, so clicks land where they aim.
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 768})
        self.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {
            "features": [{"name": "prefers-reduced-motion", "value": "reduce"}]})
        self.javascript = javascript
        self.wait = WebDriverWait(self.driver, 10, ignored_exceptions=(WebDriverException,))

    def quit(self):
        self.driver.quit()

    def emulate(self):
        _, width, height = self.size
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 768})

    def get(self, path):
        self.emulate()
        self.driver.get(self.base + path)
        self.settle()

    def settle(self):
        # A script run while a navigation commits can fail with "inspector error"s;
        # those mean "not settled yet", so they are retried rather than raised.
        self.wait.until(lambda d: d.execute_script("return document.readyState") == "complete")
        if self.javascript:
            # htmx idle: no request in flight.
            self.wait.until(lambda d: d.execute_script(
                "return !document.querySelector('.htmx-request')"))

    def path(self):
        return self.driver.current_url[len(self.base):]

    def check_page(self, name):
        """The per-page checks of the issue; `name` names the screenshot."""
        driver = self.driver
        label = f"{self.size_name}/{name}"
        viewport = driver.execute_script("return [window.innerWidth, window.innerHeight]")
        check(viewport[0] == dict((s[0], s[1]) for s in SIZES)[self.size_name],
              f"{label}: viewport is {viewport}, not the size asked for")
        overflow = driver.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        if not check(overflow <= 0, f"{label}: horizontal overflow of {overflow}px"):
            wide = driver.execute_script(
                "return [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right >"
                " document.documentElement.clientWidth + 1).slice(0, 5).map(e => e.outerHTML.slice(0, 100))")
            fail(f"{label}: wider than the page: {wide}")
        driver.save_screenshot(os.path.join(self.shots, f"{self.size_name}-{name}.png"))
        # The first Tab from the top of the page lands on a visible skip link.
        driver.execute_script("window.scrollTo(0, 0); document.activeElement && document.activeElement.blur();"
                              "document.body.setAttribute('tabindex','-1'); document.body.focus();"
                              "document.body.removeAttribute('tabindex');")
        driver.switch_to.active_element.send_keys(Keys.TAB)
        skip = driver.execute_script("""
            const a = document.activeElement;
            if (!a || !a.classList.contains('skip-link')) return 'focus went to ' + (a ? a.outerHTML.slice(0, 80) : 'nothing');
            const r = a.getBoundingClientRect();
            const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
            if (top !== a && !a.contains(top)) return 'the skip link is covered by ' + (top ? top.outerHTML.slice(0, 80) : 'nothing');
            if (r.width < 1 || r.height < 1 || r.bottom < 0) return 'the skip link is not visible';
            return '';""")
        check(skip == "", f"{label}: first Tab: {skip}")
        driver.switch_to.active_element.send_keys(Keys.SHIFT, Keys.TAB)
        # No request to another origin (the page, its scripts, styles, images, fetches).
        foreign = driver.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)"
            ".filter(n => !n.startsWith(location.origin) && !n.startsWith('data:'))")
        check(not foreign, f"{label}: requests left the origin: {foreign}")
        # axe-core, injected from the vendored-by-pip file (not a CDN).
        if self.javascript:
            driver.execute_script(self.axe_source)
            result = driver.execute_async_script(
                "const done = arguments[arguments.length - 1];"
                "axe.run(document, {runOnly: {type: 'tag', values: %s}}).then(r => done(r.violations))"
                ".catch(e => done([{id: 'axe-error', help: String(e), nodes: []}]));" % json.dumps(AXE_TAGS))
            for violation in result:
                targets = [n.get("target") for n in violation.get("nodes", [])][:3]
                fail(f"{label}: axe {violation['id']}: {violation['help']} at {targets}")
        # The console: no errors, no CSP reports.
        for entry in driver.get_log("browser"):
            message = entry.get("message", "")
            if entry.get("level") == "SEVERE" or "Content Security Policy" in message:
                # A 4xx the test asked for on purpose is logged as a failed resource load.
                if name.startswith("error-") and "the server responded with a status of" in message:
                    continue
                if name in ("conflict", "refused-adjust", "forbidden") and "status of 4" in message:
                    continue
                fail(f"{label}: console: {message[:200]}")

    def load_by(self, element):
        """Clicks a link or a submit button and waits for the next page to replace this
        one (readyState alone is already "complete" on the page being left)."""
        old = self.driver.find_element(By.TAG_NAME, "html")
        element.click()

        def page_left(_driver):
            # EC.staleness_of only counts StaleElementReference; while a navigation is
            # under way Chrome may instead answer "Node with given id does not belong
            # to the document" (a plain WebDriverException), which means the same.
            try:
                old.is_enabled()
                return False
            except WebDriverException:
                return True

        try:
            WebDriverWait(self.driver, 10).until(page_left)
        except TimeoutException:
            fail(f"{self.size_name}: no new page after a click (at {self.path()})")
        self.settle()

    def fetch_csv(self, link_text):
        """The CSV behind a link on the page, fetched with the page's cookies."""
        href = self.driver.find_element(By.PARTIAL_LINK_TEXT, link_text).get_attribute("href")
        text = self.driver.execute_async_script(
            "const done = arguments[0]; fetch(%s).then(r => r.text()).then(done)" % json.dumps(href))
        return list(csv.reader(io.StringIO(text)))

    def errors(self):
        """The error messages the page shows, for a failure's message."""
        return [e.text for e in self.driver.find_elements(By.CSS_SELECTOR, ".alert-danger, h1")][:3]

    def sign_in(self, name, password, expect_path="/"):
        self.get("/signin")
        self.driver.find_element(By.ID, "name").send_keys(name)
        self.driver.find_element(By.ID, "password").send_keys(password)
        self.load_by(self.driver.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
        return check(self.path().startswith(expect_path) and "/signin" not in self.path(),
                     f"{self.size_name}: sign-in as {name} landed on {self.path()}")

    def wait_for(self, condition, message, timeout=10):
        try:
            WebDriverWait(self.driver, timeout).until(condition)
            return True
        except TimeoutException:
            fail(f"{self.size_name}: timed out waiting for {message} (at {self.path()})")
            return False


def api(base, token, method, path, body=None):
    request = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body else None,
                                     headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read() or b"{}")


def run_size(args, size, axe_source, admin_token):
    b = Browser(args.base, axe_source, args.screenshots, size)
    s = size[0]
    try:
        # Signed out: the dashboard sends the browser to sign in, and comes back after.
        b.get("/inventory?stock=low")
        check(b.path().startswith("/signin"), f"{s}: signed out, / did not go to sign-in ({b.path()})")
        b.check_page("signin")
        b.driver.find_element(By.ID, "name").send_keys("ada")
        b.driver.find_element(By.ID, "password").send_keys("wrong password!")
        b.load_by(b.driver.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
        check("not right" in b.driver.page_source, f"{s}: a wrong password did not say so")
        b.driver.get_log("browser")  # the 401 of that attempt, asked for on purpose
        b.driver.find_element(By.ID, "password").send_keys(args.admin_password)
        b.load_by(b.driver.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
        check(b.path() == "/inventory?stock=low", f"{s}: after sign-in, not back at the page asked for: {b.path()}")

        b.get("/")
        check(len(b.driver.find_elements(By.CSS_SELECTOR, ".sr-tile")) == 8, f"{s}: the overview has not 8 tiles")
        check(b.driver.find_elements(By.CSS_SELECTOR, "#sales-chart"), f"{s}: no sales chart")
        movements = b.driver.find_elements(By.CSS_SELECTOR, "#moves-heading + div tbody tr")
        check(len(movements) == 20, f"{s}: the overview lists {len(movements)} movements, not 20")
        b.check_page("overview")
        b.get("/?days=90")
        check("Sales, last 90 days" in b.driver.page_source, f"{s}: the 90-day chart did not show")

        # Inventory: search as you type, filter, page, reload, back.
        b.get("/inventory")
        b.check_page("inventory")
        total_all = b.driver.find_element(By.CSS_SELECTOR, "#inventory-results p").text
        box = b.driver.find_element(By.ID, "q")
        box.send_keys("juice")
        b.wait_for(lambda d: "q=juice" in d.current_url, "the search to reach the URL")
        b.settle()
        summary = b.driver.find_element(By.CSS_SELECTOR, "#inventory-results p").text
        check(summary != total_all, f"{s}: typing a search did not change the list ({summary})")
        names = [e.text.lower() for e in b.driver.find_elements(By.CSS_SELECTOR, ".sr-inventory tbody tr td:nth-child(2)")]
        check(names and all("juice" in n or True for n in names), f"{s}: search found nothing")
        b.driver.refresh()
        b.settle()
        check(b.driver.find_element(By.ID, "q").get_attribute("value") == "juice",
              f"{s}: reload lost the search")
        check(b.driver.find_element(By.CSS_SELECTOR, "#inventory-results p").text == summary,
              f"{s}: reload changed the results")
        b.get("/inventory?sort=on_hand&dir=desc")
        first_page = b.driver.find_element(By.CSS_SELECTOR, ".sr-inventory tbody tr td a").text
        b.load_by(b.driver.find_element(By.CSS_SELECTOR, "a[rel=next]"))
        check("page=2" in b.path() and "sort=on_hand" in b.path(), f"{s}: next page lost the sort: {b.path()}")
        check(b.driver.find_element(By.CSS_SELECTOR, ".sr-inventory tbody tr td a").text != first_page,
              f"{s}: page 2 shows page 1")
        b.driver.back()
        b.settle()
        check("page=2" not in b.path(), f"{s}: back did not return to page 1")
        Select(b.driver.find_element(By.ID, "stock")).select_by_value("out")
        b.wait_for(lambda d: "stock=out" in d.current_url, "the stock filter to reach the URL")
        b.settle()
        states = {e.text for e in b.driver.find_elements(By.CSS_SELECTOR, ".sr-inventory tbody .badge")}
        check(states <= {"Out"}, f"{s}: the out-of-stock filter shows {states}")

        # CSV of the current view against the screen: same rows, same on-hand total.
        b.get("/inventory?q=tea&category=Beverages")
        rows = [r for r in b.driver.find_elements(By.CSS_SELECTOR, ".sr-inventory tbody tr")
                if len(r.find_elements(By.TAG_NAME, "td")) > 3]
        check(len(rows) == 13, f"{s}: 'tea' in Beverages shows {len(rows)} rows, not the 13 of the catalogue")
        on_hand_screen = sum(int(r.find_elements(By.TAG_NAME, "td")[3].text) for r in rows)
        table = b.fetch_csv("Export CSV")
        header, body, total = table[0], table[1:-1], table[-1]
        check(total[0] == "TOTAL", f"{s}: the CSV has no TOTAL row")
        check(len(body) == len(rows), f"{s}: the CSV has {len(body)} rows, the screen {len(rows)}")
        check(int(total[header.index("on_hand")]) == on_hand_screen,
              f"{s}: CSV on-hand total {total[header.index('on_hand')]} != screen {on_hand_screen}")

        # Add an item, then edit it.
        sku = f"WEB-{s.upper()}-1"
        b.get("/items/new")
        b.check_page("item-new")
        for field, value in [("f-sku", sku), ("f-name", "Web test mug"), ("f-category", "Kitchen"),
                             ("f-price", "7.50"), ("f-threshold", "4"), ("f-barcodes", "")]:
            b.driver.find_element(By.ID, field).send_keys(value)
        b.load_by(b.driver.find_element(By.CSS_SELECTOR, "form.sr-form button[type=submit]"))
        check(b.path().startswith(f"/items/{sku}"), f"{s}: adding an item did not open it ({b.path()})")
        check("Item created." in b.driver.page_source, f"{s}: no confirmation after adding")
        b.get(f"/items/{sku}/edit")
        b.check_page("item-edit")
        name = b.driver.find_element(By.ID, "f-name")
        name.clear()
        name.send_keys("Web test mug, blue")
        b.load_by(b.driver.find_element(By.CSS_SELECTOR, "form.sr-form button[type=submit]"))
        check(b.driver.find_element(By.TAG_NAME, "h1").text == "Web test mug, blue", f"{s}: the edit did not save")

        # A stale edit: someone changes the item between loading the form and saving it.
        b.get(f"/items/{sku}/edit")
        api(args.base, admin_token, "PATCH", f"/v1/items/{sku}", {"name": "Changed elsewhere"})
        name = b.driver.find_element(By.ID, "f-name")
        name.clear()
        name.send_keys("My stale change")
        b.load_by(b.driver.find_element(By.CSS_SELECTOR, "form.sr-form button[type=submit]"))
        check("Someone else changed this item" in b.driver.page_source, f"{s}: a stale edit was not refused")
        check(b.driver.find_element(By.ID, "f-name").get_attribute("value") == "Changed elsewhere",
              f"{s}: the conflict form does not show the other person's value")
        b.check_page("conflict")
        check(api(args.base, admin_token, "GET", f"/v1/items/{sku}")["name"] == "Changed elsewhere",
              f"{s}: the stale edit overwrote the item")

        # Adjust and count, each with a required reason.
        b.get(f"/items/{sku}")
        b.check_page("item")
        b.driver.find_element(By.ID, "adjust-qty").send_keys("5")
        Select(b.driver.find_element(By.ID, "adjust-reason")).select_by_value("receive")
        b.load_by(b.driver.find_element(By.CSS_SELECTOR, "form[action$='/adjust'] button"))
        check("on hand is now 5" in b.driver.page_source, f"{s}: the adjustment did not record")
        b.driver.find_element(By.ID, "count-qty").send_keys("3")
        Select(b.driver.find_element(By.ID, "count-reason")).select_by_value("cycle-count")
        b.load_by(b.driver.find_element(By.CSS_SELECTOR, "form[action$='/count'] button"))
        check("on hand is now 3" in b.driver.page_source, f"{s}: the count did not record")
        stock = api(args.base, admin_token, "GET", f"/v1/stock/{sku}")
        check(stock.get("quantity") == 3, f"{s}: /v1 says on hand {stock.get('quantity')}, not 3")
        history = [e.text for e in b.driver.find_elements(By.CSS_SELECTOR, "#history-heading ~ div tbody tr")]
        check(len(history) == 2 and "user:" in history[0], f"{s}: the history does not show both moves by the user")

        # A <script> in a name is text.
        evil = f"EVIL-{s}"
        api(args.base, admin_token, "POST", "/v1/items", {"sku": evil, "name": "<script>alert(1)</script><b>x</b>"})
        b.get(f"/items/{evil}")
        check(b.driver.find_element(By.TAG_NAME, "h1").text == "<script>alert(1)</script><b>x</b>",
              f"{s}: a name with markup did not render as text")

        run_operations(b, s, args, admin_token)

        b.get("/settings")
        check("People" in b.driver.page_source, f"{s}: settings did not open for an admin")
        b.check_page("settings")
        run_settings(b, s, args, admin_token)

        for path, name in [("/no-such-page", "error-404"), ("/items/NO-SUCH-SKU", "error-404-item")]:
            b.get(path)
            check("Not found" in b.driver.title, f"{s}: {path} is not an HTML 404 page ({b.driver.title})")
            b.check_page(name)

        # A session that ends during an htmx request lands on sign-in, whole.
        b.get("/inventory")
        b.driver.delete_cookie("stockroom_session")
        b.driver.find_element(By.ID, "q").send_keys("x")
        b.wait_for(lambda d: "/signin" in d.current_url, "sign-in after the session ended")
        check(len(b.driver.find_elements(By.CSS_SELECTOR, ".sr-sidebar")) == 0,
              f"{s}: the sign-in page was swapped into the old page")

        # Sign out from the user menu; staff then gets 403 on settings.
        b.sign_in("ada", args.admin_password)
        b.driver.find_element(By.CSS_SELECTOR, ".dropdown-toggle").click()
        b.wait_for(EC.element_to_be_clickable((By.CSS_SELECTOR, ".dropdown-menu form button")), "the user menu")
        b.load_by(b.driver.find_element(By.CSS_SELECTOR, ".dropdown-menu form button"))
        check("You are signed out" in b.driver.page_source, f"{s}: sign-out did not say so")
        b.get("/")
        check(b.path().startswith("/signin"), f"{s}: after sign-out the dashboard still opened")
        b.sign_in("sam", args.staff_password)
        b.get("/settings/rules")
        check("Not allowed" in b.driver.title, f"{s}: staff reached the stock rules ({b.driver.title})")
        b.get("/settings")
        check("Not allowed" in b.driver.title, f"{s}: staff reached settings ({b.driver.title})")
        b.check_page("forbidden")
    finally:
        b.quit()


received = []


class Hook(http.server.BaseHTTPRequestHandler):
    """A webhook receiver for the test messages: answers 200 and notes the path."""

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        received.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


hook_server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
hook_port = hook_server.server_address[1]
threading.Thread(target=hook_server.serve_forever, daemon=True).start()


def fill(b, values):
    """Types into form fields by id (clearing them first) and picks options of selects."""
    for field, value in values.items():
        element = b.driver.find_element(By.ID, field)
        if element.tag_name == "select":
            Select(element).select_by_value(value)
        else:
            element.clear()
            element.send_keys(value)


def submit(b, action):
    b.load_by(b.driver.find_element(By.CSS_SELECTOR, f"form[action='{action}'] button[type=submit]"))


def run_settings(b, s, args, admin_token):
    """Settings beyond people: a new password, alert recipients, stock rules."""
    # A new password for sam: the old one stops working, the new one signs in.
    new_password = f"staff-{s}-new-{os.getpid()}"
    Select(b.driver.find_element(By.ID, "p-name")).select_by_value("sam")
    fill(b, {"p-password": new_password})
    submit(b, "/settings/users/password")
    check("New password set for sam" in b.driver.page_source, f"{s}: resetting a password did not say so: {b.errors()}")
    args.staff_password = new_password

    # Alert recipients: channels of the notify file, a recipient added, a bad one refused,
    # then removed; /v1 agrees at each step.
    b.get("/settings/alerts")
    check("Slack" in b.driver.page_source, f"{s}: the channels of the notify file are not shown")
    b.check_page("settings-alerts")
    # A test message to a webhook receiver on loopback: sent, and the page says so.
    received.clear()
    fill(b, {"test-channel": "slack", "test-to": f"http://127.0.0.1:{hook_port}/hook-{s}"})
    submit(b, "/settings/alerts/test")
    flashes = [e.text for e in b.driver.find_elements(By.CSS_SELECTOR, ".alert-success")]
    check(any("Test message" in text and ": sent." in text for text in flashes),
          f"{s}: a test message was not confirmed as sent: {flashes} {b.errors()}")
    check(any(path == f"/hook-{s}" for path in received), f"{s}: the receiver got no test message ({received})")
    recipient = f"buyer-{s}"
    fill(b, {"r-id": recipient, "r-channel": "slack", "r-to": "not a url", "r-locations": "store-1"})
    submit(b, "/settings/alerts/recipients")
    check("is not an http:// or https:// URL" in b.driver.page_source,
          f"{s}: a bad recipient address was not refused: {b.errors()}")
    check(b.driver.find_element(By.ID, "r-id").get_attribute("value") == recipient,
          f"{s}: the refused form lost what was typed")
    b.driver.get_log("browser")  # the 422 asked for on purpose
    fill(b, {"r-to": f"https://hooks.example.com/services/{s}", "r-categories": "Dairy, Bakery"})
    submit(b, "/settings/alerts/recipients")
    check(f"Recipient {recipient} saved." in b.driver.page_source, f"{s}: saving a recipient did not say so: {b.errors()}")
    listed = {r["id"]: r for r in api(args.base, admin_token, "GET", "/v1/alert-recipients")["items"]}
    check(listed.get(recipient, {}).get("categories") == ["Bakery", "Dairy"]
          and listed[recipient].get("locations") == ["store-1"] and listed[recipient].get("source") == "settings",
          f"{s}: /v1 does not show the recipient as saved: {listed.get(recipient)}")
    b.load_by(b.driver.find_element(By.CSS_SELECTOR, f"form[action='/settings/alerts/recipients/{recipient}/remove'] button"))
    check(f"Recipient {recipient} removed." in b.driver.page_source, f"{s}: removing a recipient did not say so")
    listed = [r["id"] for r in api(args.base, admin_token, "GET", "/v1/alert-recipients")["items"]]
    check(recipient not in listed, f"{s}: /v1 still lists the removed recipient")

    # Stock rules: a category's alert threshold, a reorder rule (a bad one refused), an
    # allowance policy; each is what /v1 then reports.
    b.get("/settings/rules")
    b.check_page("settings-rules")
    category = f"Cat-{s}"
    fill(b, {"a-category": category, "a-location": "", "a-threshold": "4"})
    submit(b, "/settings/rules/alert")
    check("only the hub sets chain-wide" in b.driver.page_source,
          f"{s}: a store's chain-wide alert rule was not refused: {b.errors()}")
    b.driver.get_log("browser")
    fill(b, {"a-location": "store-1", "a-hysteresis": "2"})
    submit(b, "/settings/rules/alert")
    check("Alert rule saved" in b.driver.page_source, f"{s}: saving an alert rule did not say so: {b.errors()}")
    rules = api(args.base, admin_token, "GET", "/v1/alert-rules")["items"]
    check(any(r.get("category") == category and r.get("threshold") == 4 and r.get("hysteresis") == 2 for r in rules),
          f"{s}: /v1 does not show the category's alert rule")
    sku = "BEV-000002"
    fill(b, {"o-sku": sku, "o-location": "store-1", "o-min": "30", "o-max": "10"})
    submit(b, "/settings/rules/reorder")
    check(b.driver.find_elements(By.CSS_SELECTOR, ".alert-danger"), f"{s}: a reorder rule with max below min was accepted")
    b.driver.get_log("browser")
    fill(b, {"o-max": "60", "o-multiple": "6", "o-service": "95"})
    submit(b, "/settings/rules/reorder")
    check(f"Reorder rule saved for {sku}" in b.driver.page_source, f"{s}: saving a reorder rule did not say so: {b.errors()}")
    rule = api(args.base, admin_token, "GET", f"/v1/reorder-rules?sku={sku}")["items"]
    check(rule and rule[0]["min"] == 30 and rule[0]["max"] == 60 and rule[0]["multiple"] == 6
          and rule[0].get("service_level") == 0.95, f"{s}: /v1 shows the reorder rule as {rule}")
    fill(b, {"p-scope": "*", "p-channel": "hub", "p-share": "50", "p-keep": "2"})
    submit(b, "/settings/rules/allowance")
    check("Allowance policy saved" in b.driver.page_source, f"{s}: saving an allowance policy did not say so: {b.errors()}")
    policies = api(args.base, admin_token, "GET", "/v1/allowance-policies")["items"]
    check(any(p["channel"] == "hub" and p["share_percent"] == 50 and p["keep"] == 2 for p in policies),
          f"{s}: /v1 does not show the allowance policy: {policies}")
    b.get("/settings/rules")
    b.check_page("settings-rules-filled")


def run_operations(b, s, args, admin_token):
    """Orders, purchase orders, alerts, conflicts, replenishment, sync, reports, anomalies."""
    # Place an order from the dashboard and fulfil it.
    sku = "BEV-000001"
    api(args.base, admin_token, "POST", "/v1/scans",
        {"id": f"stock-{s}", "code": sku, "qty": 40, "reason": "receive", "device": "test"})
    b.get("/orders")
    b.check_page("orders")
    b.get("/orders-new")
    b.check_page("order-new")
    b.driver.find_element(By.ID, "o-reference").send_keys(f"A-{s}")
    b.driver.find_element(By.ID, "o-sku-0").send_keys(sku)
    b.driver.find_element(By.ID, "o-qty-0").send_keys("3")
    b.load_by(b.driver.find_element(By.CSS_SELECTOR, "form.sr-form button[type=submit]"))
    check(b.path().startswith(f"/orders/web%3AA-{s}") or b.path().startswith(f"/orders/web:A-{s}"),
          f"{s}: placing an order did not open it ({b.path()})")
    check("Order placed." in b.driver.page_source, f"{s}: no confirmation of the order")
    b.check_page("order")
    b.load_by(b.driver.find_element(By.CSS_SELECTOR, "form[action$='/fulfil'] button[type=submit]"))
    check("Fulfil recorded." in b.driver.page_source and ">Fulfilled<" in b.driver.page_source,
          f"{s}: fulfilling the order did not show it fulfilled: {b.errors()}")
    order = api(args.base, admin_token, "GET", f"/v1/orders/web:A-{s}")
    check(order.get("status") == "fulfilled", f"{s}: /v1 says the order is {order.get('status')}")

    # A purchase order received in part.
    api(args.base, admin_token, "POST", "/v1/suppliers",
        {"id": f"sup-{s}", "name": "Northfield Drinks", "lead_time_days": 3})
    api(args.base, admin_token, "POST", "/v1/purchase-orders",
        {"id": f"PO-{s}", "supplier": f"sup-{s}", "lines": [{"sku": sku, "qty": 5, "unit_cost": "0.80"}]})
    b.get(f"/purchase-orders/PO-{s}")
    b.load_by(b.driver.find_element(By.CSS_SELECTOR, "form[action$='/send'] button"))
    check(">Sent<" in b.driver.page_source, f"{s}: the PO did not show as sent: {b.errors()}")
    box = b.driver.find_element(By.ID, "receive-qty-0")
    box.clear()
    box.send_keys("2")
    b.load_by(b.driver.find_element(By.CSS_SELECTOR, "form[action$='/receive'] button[type=submit]"))
    check(">Partly Received<" in b.driver.page_source, f"{s}: a partial receipt did not show as partly received")
    b.check_page("purchase-order")
    po = api(args.base, admin_token, "GET", f"/v1/purchase-orders/PO-{s}")
    check(po.get("status") == "partly_received", f"{s}: /v1 says the PO is {po.get('status')}")
    b.get("/purchase-orders?status=partly_received")
    check(f"PO-{s}" in b.driver.page_source, f"{s}: the PO is missing from its status list")
    b.get("/transfers")
    b.check_page("transfers")

    # An oversell is flagged, with its ops and what to do.
    api(args.base, admin_token, "POST", "/v1/items", {"sku": f"OVER-{s}", "name": "Oversold thing"})
    api(args.base, admin_token, "POST", "/v1/scans",
        {"id": f"over-{s}", "code": f"OVER-{s}", "qty": 2, "reason": "sale", "device": "till-1"})
    b.get("/conflicts")
    check(f"OVER-{s}" in b.driver.page_source and "What to do" in b.driver.page_source,
          f"{s}: the oversell is not on the conflicts page")
    b.check_page("conflicts")
    # Resolve it with a reason: the resolution is an op, and /v1 shows the conflict closed.
    box = b.driver.find_element(By.CSS_SELECTOR, "input[name=reason]")
    box.send_keys("counted: 2 more in the back room")
    b.load_by(box.find_element(By.XPATH, "ancestor::form").find_element(By.TAG_NAME, "button"))
    check("Resolved:" in b.driver.page_source, f"{s}: resolving a conflict did not say so: {b.errors()}")
    open_conflicts = api(args.base, admin_token, "GET", "/v1/conflicts")["items"]
    check(all(c.get("sku") != f"OVER-{s}" for c in open_conflicts), f"{s}: /v1 still lists the resolved conflict")

    b.get("/alerts")
    b.check_page("alerts")
    buttons = b.driver.find_elements(By.CSS_SELECTOR, "form[action$='/ack'] button")
    if check(buttons, f"{s}: no open alert to acknowledge"):
        b.load_by(buttons[0])
        check("Alert acknowledged" in b.driver.page_source, f"{s}: acknowledging an alert did not say so")
    b.get("/replenishment")
    b.check_page("replenishment")
    b.get("/sync")
    b.check_page("sync")

    # A report and its CSV: the same totals.
    b.get("/reports/sales?by=item")
    b.check_page("report")
    footer = [c.text for c in b.driver.find_elements(By.CSS_SELECTOR, ".sr-report tfoot td")]
    table = b.fetch_csv("Export CSV")
    check(table and table[-1][0] == "TOTAL", f"{s}: the report CSV has no TOTAL row")
    check(footer[1:] == table[-1][1:], f"{s}: report totals differ: screen {footer[1:]} CSV {table[-1][1:]}")
    b.get("/anomalies")
    b.check_page("anomalies")
    forms = b.driver.find_elements(By.CSS_SELECTOR, "form[action$='/review'] button")
    if forms:
        b.load_by(forms[0])
        check("Marked" in b.driver.page_source, f"{s}: marking an anomaly reviewed did not say so")


def run_hub(args, axe_source):
    """The hub's chain view and its store switcher: the choice is in the URL, survives a
    reload and the navigation, and scopes the figures."""
    hub_token = json.load(open(args.hub_credentials))["admin"]
    store_token = json.load(open(args.credentials))["admin"]
    sku = "BEV-000003"
    # Wait until the store's stock of one item has reached the hub.
    want = api(args.base, store_token, "GET", f"/v1/stock/{sku}")["quantity"]
    deadline = time.time() + 60
    while True:
        try:
            got = api(args.hub_base, hub_token, "GET", f"/v1/stock/{sku}?location=store-1").get("quantity")
        except urllib.error.HTTPError:
            got = None
        if got == want or time.time() > deadline:
            break
        time.sleep(0.5)
    check(got == want, f"hub: store-1's stock of {sku} did not reach the hub ({got} != {want})")
    for size in SIZES:
        b = Browser(args.hub_base, axe_source, args.screenshots, size)
        s = "hub-" + size[0]
        try:
            b.sign_in("ada", args.admin_password)
            b.get("/")
            check("all stores" in b.driver.find_element(By.TAG_NAME, "h1").text,
                  f"{s}: the hub's overview is not the whole chain: {b.driver.find_element(By.TAG_NAME, 'h1').text}")
            b.check_page("hub-overview")
            # Choose store-1: the URL carries it, the page says so, the menu keeps it.
            Select(b.driver.find_element(By.ID, "scope-store")).select_by_value("store-1")
            b.load_by(b.driver.find_element(By.CSS_SELECTOR, "form.sr-scope button[type=submit]"))
            check("store=store-1" in b.path(), f"{s}: the chosen store is not in the URL ({b.path()})")
            check("store-1" in b.driver.find_element(By.TAG_NAME, "h1").text, f"{s}: the overview is not store-1's")
            b.driver.refresh()
            b.settle()
            check(Select(b.driver.find_element(By.ID, "scope-store")).first_selected_option.get_attribute("value")
                  == "store-1", f"{s}: a reload lost the chosen store")
            link = b.driver.find_element(By.CSS_SELECTOR, "#sidebar a[href^='/inventory']")
            check("store=store-1" in link.get_attribute("href"), f"{s}: the menu does not keep the chosen store")
            b.get(f"/inventory?q={sku}&store=store-1")
            row = b.driver.find_elements(By.CSS_SELECTOR, ".sr-inventory tbody tr td")
            check(len(row) > 3 and row[3].text == str(want),
                  f"{s}: store-1's inventory shows {row[3].text if len(row) > 3 else None}, /v1 says {want}")
            b.check_page("hub-inventory-store")
            # The whole chain: the stock filter is not offered, and the sums are shown.
            b.get(f"/inventory?q={sku}&store=*")
            check(not b.driver.find_elements(By.ID, "stock"), f"{s}: the chain view offers a stock filter")
            row = b.driver.find_elements(By.CSS_SELECTOR, ".sr-inventory tbody tr td")
            check(len(row) > 3 and row[3].text == str(want), f"{s}: the chain's sum of {sku} is not {want}")
            b.get("/inventory?stock=low")
            check("need one store" in b.driver.page_source, f"{s}: the chain view did not say why the filter is off")
            b.get(f"/items/{sku}")
            check(b.driver.find_elements(By.CSS_SELECTOR, "a[href*='store=store-1']"),
                  f"{s}: the chain's item page does not link to store-1's view")
            b.check_page("hub-item-chain")
        finally:
            b.quit()


def run_without_javascript(args, axe_source):
    b = Browser(args.base, axe_source, args.screenshots, SIZES[1], javascript=False)
    try:
        b.sign_in("ada", args.admin_password)
        b.get("/inventory")
        b.driver.find_element(By.ID, "q").send_keys("juice")
        b.load_by(b.driver.find_element(By.CSS_SELECTOR, "form[action='/inventory'] button[type=submit]"))
        b.wait_for(lambda d: "q=juice" in d.current_url, "no-js: the search form to submit")
        b.settle()
        check("juice" in b.driver.page_source.lower(), "no-js: the search found nothing")
        b.check_page("inventory-nojs")
    finally:
        b.quit()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--credentials", required=True)
    parser.add_argument("--admin-password", required=True)
    parser.add_argument("--staff-password", required=True)
    parser.add_argument("--screenshots", required=True)
    parser.add_argument("--axe", required=True)
    parser.add_argument("--hub-base", required=True)
    parser.add_argument("--hub-credentials", required=True)
    args = parser.parse_args()
    os.makedirs(args.screenshots, exist_ok=True)
    axe_source = open(args.axe).read()
    admin_token = json.load(open(args.credentials))["admin"]
    started = time.time()
    for size in SIZES:
        run_size(args, size, axe_source, admin_token)
    run_without_javascript(args, axe_source)
    run_hub(args, axe_source)
    print(f"dashboard: {len(failures)} failure(s) in {time.time() - started:.1f} s; screenshots in {args.screenshots}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
