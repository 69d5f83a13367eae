#!/usr/bin/env python3
"""The chperms LuCI page used as a router's owner uses it, in Chromium.

Run by tests/system/luci/test.sh once the root is up with LuCI, chperms and
luci-app-chperms installed. Each step drives the browser (clicks where a
person clicks, types where a person types), then checks what the page shows
and what is true inside the root: files on disk, procd's view of the
service. A screenshot of every page goes to --shots. One line per check,
"ok   NAME" or "FAIL NAME"; the counts go to --counts for the suite's total.

    browser_test.py --url http://127.0.0.1:PORT --password PW --root DIR \
        --in-root CMD --shots DIR --counts FILE
"""

import argparse
import json
import os
import stat
import subprocess
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cdp import Browser, BrowserError  # noqa: E402

VHOST = "shop.example"
# The drift test.sh made, and what the NetServa model says instead
# (owner shop = 1101, group www-data = 33).
INDEX = f"/srv/{VHOST}/web/app/public/index.php"
UPLOADS = f"/srv/{VHOST}/web/app/public/uploads"
SHOP_UID, WWW_GID = 1101, 33
# LuCI's dialogs stay in the page when closed; the body's class says if one is up.
NO_DIALOG = "!document.body.classList.contains('modal-overlay-active')"


class Suite:
    def __init__(self, args):
        self.args = args
        self.passed = self.failed = 0
        self.browser = None

    def ok(self, name):
        self.passed += 1
        print(f"ok   {name}", flush=True)

    def bad(self, name, detail=""):
        self.failed += 1
        print(f"FAIL {name}", flush=True)
        for line in str(detail).splitlines():
            print(f"     | {line}", flush=True)

    def check(self, name, cond, detail=""):
        if cond:
            self.ok(name)
        else:
            self.bad(name, detail)
        return cond

    def in_root(self, script):
        """A shell command inside the test root (BusyBox ash); its stdout."""
        r = subprocess.run([self.args.in_root, script], capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError(f"in the root: {script}: exit {r.returncode}: {r.stderr.strip()}")
        return r.stdout

    def on_disk(self, path):
        """(uid, gid, mode) of a path in the root, read on the host."""
        st = os.lstat(self.args.root + path)
        return st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)

    def shot(self, name):
        path = os.path.join(self.args.shots, name)
        time.sleep(0.4)  # LuCI fades dialogs in: let them finish
        self.browser.screenshot(path)
        print(f"     screenshot: {path}", flush=True)

    def watcher(self):
        """procd's chperms instances: {name: (running, command line)}."""
        out = self.in_root("ubus call service list '{\"name\":\"chperms\"}'")
        inst = (json.loads(out or "{}").get("chperms") or {}).get("instances") or {}
        return {n: (i.get("running", False), " ".join(i.get("command", []))) for n, i in inst.items()}

    def watcher_processes(self):
        """The command lines of the processes procd says run the watcher."""
        out = self.in_root("ubus call service list '{\"name\":\"chperms\"}'")
        inst = (json.loads(out or "{}").get("chperms") or {}).get("instances") or {}
        pids = [i["pid"] for i in inst.values() if i.get("running") and i.get("pid")]
        return [self.in_root(f"tr '\\0' ' ' </proc/{pid}/cmdline").strip() for pid in pids]

    def wait_watcher(self, want, timeout=40):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = self.watcher()
            if want(last):
                return last
            time.sleep(0.3)
        raise AssertionError(f"procd's chperms service after {timeout} s: {last}")


def save_and_apply(b):
    """Clicks Save & Apply and waits for LuCI to apply, confirm and reload the page."""
    b.eval("window.chpermsBeforeApply = true")
    b.click(".cbi-page-actions .cbi-button-apply")
    b.wait("!window.chpermsBeforeApply && document.readyState == 'complete' && " + NO_DIALOG
           + " && document.querySelector('[data-name=fix] input[type=checkbox]')",
           what="the settings page reloaded after Save & Apply", timeout=40)


def run(s):
    b, a = s.browser, s.args

    # 1. Log in, as a person does: the login form of the same origin (LuCI's
    # session cookie is SameSite=strict).
    b.open(a.url + "/cgi-bin/luci/")
    b.wait("document.querySelector('.modal.login input[name=luci_password]')", what="the login form")
    s.shot("01-login.png")
    b.type_into("input[name=luci_password]", a.password)
    b.click(".modal.login button.cbi-button-positive")
    b.wait("document.querySelector('#topmenu a.menu') && !document.querySelector('.modal.login')",
           what="the menu after logging in")
    s.ok("log in as root with the password from the root's /etc/shadow")

    # 2. Services -> chperms, through the menu. No /srv yet: the empty state.
    b.click("#topmenu a.menu[data-title='Services'], #topmenu a.menu")
    b.click("#topmenu a[href$='/admin/services/chperms']")
    b.wait("location.pathname.indexOf('/admin/services/chperms') > 0 && document.readyState == 'complete' "
           "&& document.querySelector('.chperms-empty, .chperms-tree')", what="the chperms status page")
    s.ok("Services -> chperms opens the status page")
    why = b.eval("(document.querySelector('.chperms-empty')||{}).dataset.why")
    text = b.text(".chperms-empty") or ""
    s.check("empty state: no /srv says what to create", why == "no-root" and "/srv does not exist" in text
            and "mkdir /srv" in text, f"{why}: {text}")
    s.check("watcher state from procd: not enabled",
            b.eval("document.querySelector('.chperms-watcher').dataset.state") == "not-enabled",
            b.text(".chperms-watcher"))
    s.shot("02-empty.png")

    # An empty /srv: the page says what a vhost is.
    s.in_root("mkdir -m 0755 /srv")
    b.open(a.url + "/cgi-bin/luci/admin/services/chperms")
    b.wait("document.querySelector('.chperms-empty')", what="the empty state")
    text = b.text(".chperms-empty") or ""
    s.check("empty state: an empty /srv says what a vhost folder is",
            b.eval("document.querySelector('.chperms-empty').dataset.why") == "no-tree"
            and "/srv/example.org" in text, text)

    # 3. A vhost with drift appears (made on the console by test.sh's script).
    s.in_root(a.make_drift)
    b.open(a.url + "/cgi-bin/luci/admin/services/chperms")
    b.wait(f"document.querySelector(\"tr.chperms-tree[data-tree='vhost:{VHOST}']\")", what="the vhost row")
    status = b.eval(f"document.querySelector(\"tr.chperms-tree[data-tree='vhost:{VHOST}']\").dataset.status")
    paths = b.eval("Array.from(document.querySelectorAll('tr.chperms-finding')).map(r => r.dataset.path + ' ' + r.dataset.kind)")
    s.check("status: the vhost shows drift", status == "drift", status)
    s.check("status: the drifted paths are listed with what differs",
            f"{INDEX} mode" in paths and f"{INDEX} owner" in paths and f"{UPLOADS} mode" in paths, paths)
    row = b.text(f"tr.chperms-tree[data-tree='vhost:{VHOST}']") or ""
    s.check("status: drift by kind in the row", "mode" in row and "owner" in row, row)
    s.shot("03-status-drift.png")

    # 4. Check: an audit, nothing changes on disk.
    before = s.on_disk(INDEX)
    b.eval("document.querySelector('tr.chperms-tree').dataset.checkedBefore = '1'")
    b.click(f"button[data-action='check'][data-tree='vhost:{VHOST}']")
    b.wait(NO_DIALOG + " && document.querySelector('tr.chperms-tree') "
           "&& !document.querySelector('tr.chperms-tree').dataset.checkedBefore", what="the page after Check")
    status = b.eval(f"document.querySelector(\"tr.chperms-tree[data-tree='vhost:{VHOST}']\").dataset.status")
    s.check("Check: still drift, and the file is untouched on disk",
            status == "drift" and s.on_disk(INDEX) == before, f"{status} {s.on_disk(INDEX)} vs {before}")

    # 5. Repair: the dry run is shown first; nothing changes until confirmed.
    b.click(f"button[data-action='repair'][data-tree='vhost:{VHOST}']")
    b.wait("document.querySelector(\".modal button[data-action='confirm-repair']\")", what="the repair dialog")
    plan = b.text(".modal") or ""
    s.check("Repair: the dialog lists what will change (dry run)",
            INDEX in plan and UPLOADS in plan and "0666" in plan and "0640" in plan, plan)
    s.check("Repair: nothing changed before confirming", s.on_disk(INDEX) == before, s.on_disk(INDEX))
    s.shot("04-repair-confirm.png")
    b.click(".modal button[data-action='confirm-repair']")
    b.wait("document.querySelector('.chperms-repaired')", what="the repair notice", timeout=30)
    b.wait(f"document.querySelector(\"tr.chperms-tree[data-tree='vhost:{VHOST}']\") && "
           f"document.querySelector(\"tr.chperms-tree[data-tree='vhost:{VHOST}']\").dataset.status == 'clean'",
           what="the vhost in policy after the repair", timeout=30)
    s.check("Repair: the page shows the vhost in policy, no findings left",
            b.eval("document.querySelectorAll('tr.chperms-finding').length") == 0)
    s.shot("05-status-repaired.png")
    s.check("Repair: index.php is shop:www-data 0640 on disk",
            s.on_disk(INDEX) == (SHOP_UID, WWW_GID, 0o640), s.on_disk(INDEX))
    s.check("Repair: uploads/ is shop:www-data 02750 on disk",
            s.on_disk(UPLOADS) == (SHOP_UID, WWW_GID, 0o2750), s.on_disk(UPLOADS))
    log = s.in_root("logread | grep chperms || true")
    s.check("Repair from the page is in the system log", "index.php" in log, log[-800:])

    # 6. Settings: validation, then turn the watcher on (report only).
    b.click("a[href$='/admin/services/chperms/settings']")
    b.wait("document.querySelector('[data-name=fix] input[type=checkbox]')", what="the settings form")
    s.shot("06-settings.png")
    b.type_into("[data-name=interval] input", "soon")
    b.wait("document.querySelector('[data-name=interval] input.cbi-input-invalid')", what="the interval marked invalid")
    b.type_into("[data-name=alert_cmd] input", "mail root; rm -rf /")
    b.wait("document.querySelector('[data-name=alert_cmd] input.cbi-input-invalid')", what="the alert command marked invalid")
    s.ok("Settings: a bad interval and a shell alert command are marked invalid")
    b.type_into("[data-name=interval] input", "300")
    b.type_into("[data-name=alert_cmd] input", "")
    b.click("[data-name=enabled] input[type=checkbox]")
    save_and_apply(b)
    first = s.wait_watcher(lambda w: any(r for r, _ in w.values()))
    cmd = " ".join(c for _, c in first.values())
    s.check("Save & Apply: procd runs the watcher (report only, no --fix)",
            "chperms watch" in cmd and "--all" in cmd and "--fix" not in cmd, cmd)

    # 7. fix on: Save & Apply restarts the watcher with --fix.
    b.wait("document.querySelector('[data-name=enabled] input[type=checkbox]').checked",
           what="the saved setting shown again")
    b.click("[data-name=fix] input[type=checkbox]")
    save_and_apply(b)
    second = s.wait_watcher(lambda w: any(r and "--fix" in c for r, c in w.values()))
    s.check("Save & Apply: procd's command line now has --fix",
            any("--fix" in c for _, c in second.values()), second)
    s.check("uci: chperms.main.fix is 1", s.in_root("uci get chperms.main.fix").strip() == "1")
    # procd's record is not the process: the running watcher must have it too.
    deadline = time.monotonic() + 10
    procs = s.watcher_processes()
    while time.monotonic() < deadline and not any("--fix" in c for c in procs):
        time.sleep(0.3)
        procs = s.watcher_processes()
    s.check("the running watcher process was restarted with --fix (/proc/PID/cmdline)",
            procs and all("--fix" in c for c in procs), f"procd: {second}\nprocesses: {procs}")

    # The setting took effect: new drift is repaired by the watcher itself.
    s.in_root(f"chmod 0666 {INDEX}")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and s.on_disk(INDEX)[2] != 0o640:
        time.sleep(0.2)
    s.check("the watcher with --fix repairs new drift on its own", s.on_disk(INDEX)[2] == 0o640,
            f"{oct(s.on_disk(INDEX)[2])}\nprocd: {s.watcher()}\n"
            + s.in_root("logread | tail -n 25; uci show chperms"))

    b.click("a[href$='/admin/services/chperms/status']")
    b.wait("document.querySelector('.chperms-watcher') && document.querySelector('.chperms-watcher').dataset.state == 'running'",
           what="the watcher shown running")
    s.check("status: the watcher is running, its command line shown with --fix",
            "--fix" in (b.text(".chperms-watcher") or ""), b.text(".chperms-watcher"))
    s.shot("07-status-watcher.png")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--root", required=True, help="the root directory on the host")
    p.add_argument("--in-root", required=True, help="a program that runs its argument as a shell command in the root")
    p.add_argument("--make-drift", required=True, help="shell commands (in the root) that make the vhost with drift")
    p.add_argument("--shots", required=True)
    p.add_argument("--counts", required=True)
    p.add_argument("--chromium", default="/usr/bin/chromium")
    args = p.parse_args()
    os.makedirs(args.shots, exist_ok=True)
    profile = os.path.join(args.shots, ".profile")
    subprocess.run(["rm", "-rf", profile], check=True)

    s = Suite(args)
    started = time.monotonic()
    try:
        with Browser(args.chromium, profile, log_path=os.path.join(args.shots, "chromium.log")) as b:
            s.browser = b
            try:
                run(s)
            except (BrowserError, AssertionError, RuntimeError, subprocess.TimeoutExpired) as e:
                s.bad("the browser session stopped at a step that did not work", f"{e}")
                try:
                    s.shot("failed.png")
                    print(f"     page text: {(b.text('body') or '')[:1500]}")
                except BrowserError:
                    pass
    except Exception:  # Chromium itself did not start: say so, with the reason
        s.bad("Chromium runs headless", traceback.format_exc())
    finally:
        subprocess.run(["rm", "-rf", profile])
    print(f"     browser steps took {time.monotonic() - started:.1f} s", flush=True)
    with open(args.counts, "w") as f:
        f.write(f"{s.passed} {s.failed}\n")
    return 1 if s.failed else 0


if __name__ == "__main__":
    sys.exit(main())
