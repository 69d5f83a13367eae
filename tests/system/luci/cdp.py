"""A headless Chromium driven through the DevTools protocol, over a pipe.

Chromium started with --remote-debugging-pipe reads protocol messages on its
fd 3 and writes them on fd 4, each a JSON object ended by a NUL byte: no
WebSocket, no port, no package beyond Python's standard library. Only what a
test of a LuCI page needs: open a page, wait for something to appear, click
an element at its place on the screen as a mouse would, type into a field,
read text, take a screenshot.

    with Browser("/usr/bin/chromium", profile_dir) as b:
        b.open("http://127.0.0.1:8080/cgi-bin/luci/")
        b.click("button.cbi-button-positive")
        b.wait("document.querySelector('.chperms-tree')")
        b.screenshot("status.png")
"""

import base64
import json
import os
import select
import subprocess
import time

# The flags every run needs on this kind of machine: as root Chromium needs
# --no-sandbox; there is no GPU; and with no network beyond the package
# registries, anything Chromium would fetch by itself only fails slowly.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-features=Translate,MediaRouter,OptimizationHints",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
]


class BrowserError(Exception):
    """The page did not do what the test waited for, or Chromium failed."""


class Browser:
    """One Chromium process with one page (tab) attached."""

    def __init__(self, chromium, profile_dir, width=1280, height=900, log_path=None):
        self.width, self.height = width, height
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def child_fds():
            # Fresh copies first, so that moving them onto 3 and 4 cannot
            # overwrite one another.
            a, b = os.dup(to_chrome_r), os.dup(from_chrome_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        log = open(log_path or os.devnull, "ab")
        self.proc = subprocess.Popen(
            [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile_dir}",
             f"--window-size={width},{height}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            pass_fds=(3, 4), preexec_fn=child_fds)
        log.close()
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buf = b""
        self._next_id = 0
        self._events = []
        self.session = None
        self._attach()

    # -- protocol ---------------------------------------------------------

    def _send(self, method, params=None, session=True):
        self._next_id += 1
        msg = {"id": self._next_id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        data = json.dumps(msg).encode() + b"\0"
        while data:
            n = os.write(self._to_chrome, data)
            data = data[n:]
        return self._next_id

    def _read_message(self, deadline):
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError("Chromium did not answer in time")
            ready, _, _ = select.select([self._from_chrome], [], [], left)
            if not ready:
                continue
            chunk = os.read(self._from_chrome, 1 << 16)
            if not chunk:
                raise BrowserError(f"Chromium exited (status {self.proc.poll()})")
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method, params=None, timeout=30, session=True):
        """Sends one command and returns its result (events seen meanwhile are kept)."""
        want = self._send(method, params, session)
        deadline = time.monotonic() + timeout
        while True:
            msg = self._read_message(deadline)
            if msg.get("id") == want:
                if "error" in msg:
                    raise BrowserError(f"{method}: {msg['error'].get('message')}")
                return msg.get("result", {})
            if "method" in msg:
                self._events.append(msg)

    def wait_event(self, name, timeout=30):
        """Waits for the event NAME (one seen before this call counts)."""
        deadline = time.monotonic() + timeout
        while True:
            for i, ev in enumerate(self._events):
                if ev["method"] == name:
                    del self._events[i]
                    return ev.get("params", {})
            msg = self._read_message(deadline)
            if "method" in msg:
                self._events.append(msg)

    def _attach(self):
        targets = self.call("Target.getTargets", session=False)["targetInfos"]
        pages = [t for t in targets if t["type"] == "page"]
        if not pages:
            target = self.call("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
        else:
            target = pages[0]["targetId"]
        self.session = self.call("Target.attachToTarget",
                                 {"targetId": target, "flatten": True}, session=False)["sessionId"]
        self.call("Page.enable")
        self.call("Runtime.enable")
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": self.width, "height": self.height, "deviceScaleFactor": 1, "mobile": False})

    # -- what a test does -------------------------------------------------

    def eval(self, expression, timeout=30):
        """The value of a JavaScript expression in the page (promises awaited)."""
        r = self.call("Runtime.evaluate", {"expression": expression, "awaitPromise": True,
                                           "returnByValue": True}, timeout=timeout)
        if "exceptionDetails" in r:
            d = r["exceptionDetails"]
            raise BrowserError(f"script failed: {d.get('exception', {}).get('description') or d.get('text')}")
        return r.get("result", {}).get("value")

    def open(self, url, timeout=30):
        self._events = [e for e in self._events if e["method"] != "Page.loadEventFired"]
        r = self.call("Page.navigate", {"url": url})
        if r.get("errorText"):
            raise BrowserError(f"cannot open {url}: {r['errorText']}")
        self.wait_event("Page.loadEventFired", timeout)

    def wait(self, expression, timeout=20, what=None):
        """Polls until EXPRESSION is truthy in the page; returns its value."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                value = self.eval(expression)
            except BrowserError:
                value = None  # the page is between two documents
            # JavaScript's truth: an element comes back as {} (returnByValue).
            if value is not None and value is not False and value != 0 and value != "":
                return value
            if time.monotonic() > deadline:
                raise BrowserError(f"waited {timeout} s for {what or expression}")
            time.sleep(0.1)

    def _center(self, selector, timeout):
        js = ("(function(){var e=document.querySelector(%s);"
              "if(!e||e.disabled||!e.getClientRects().length)return null;"
              "e.scrollIntoView({block:'center'});var r=e.getBoundingClientRect();"
              "return [r.left+r.width/2,r.top+r.height/2];})()") % json.dumps(selector)
        return self.wait(js, timeout, what=f"a visible, enabled {selector}")

    def click(self, selector, timeout=20):
        """Moves the mouse onto the element and clicks it, as a person would."""
        x, y = self._center(selector, timeout)
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y,
                                                   "button": "left", "clickCount": 1})

    def key(self, key, code, vk, text=None):
        """One key pressed and released (keydown, keypress/input, keyup)."""
        down = {"type": "keyDown" if text else "rawKeyDown", "key": key, "code": code,
                "windowsVirtualKeyCode": vk}
        if text:
            down["text"] = text
        self.call("Input.dispatchKeyEvent", down)
        self.call("Input.dispatchKeyEvent", {"type": "keyUp", "key": key, "code": code,
                                             "windowsVirtualKeyCode": vk})

    def type_into(self, selector, text, timeout=20):
        """Clicks into a field, selects what is there and types TEXT over it,
        key by key (pages validate on key events), or deletes it if TEXT is ''."""
        self.click(selector, timeout)
        self.eval("document.activeElement.select && document.activeElement.select()")
        if not text:
            self.key("Backspace", "Backspace", 8)
        for ch in text:
            self.key(ch, "", ord(ch.upper()) if ch.isalnum() else 0, text=ch)

    def text(self, selector):
        return self.eval("(function(){var e=document.querySelector(%s);return e?e.innerText:null;})()"
                         % json.dumps(selector))

    def screenshot(self, path):
        """The whole page (not only the window) as a PNG file."""
        m = self.call("Page.getLayoutMetrics")
        size = m.get("cssContentSize") or m["contentSize"]
        height = min(int(size["height"]) + 1, 4000)
        r = self.call("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": self.width, "height": max(height, 200), "scale": 1}})
        with open(path, "wb") as f:
            f.write(base64.b64decode(r["data"]))

    def close(self):
        try:
            self.call("Browser.close", session=False, timeout=5)
        except (BrowserError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._to_chrome, self._from_chrome):
            try:
                os.close(fd)
            except OSError:
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
