#!/usr/bin/env python3
"""Take README screenshots of a running Odoo with headless Chromium (DevTools protocol).

    scripts/screenshot.py --url http://127.0.0.1:8069 --db helpdesk --login admin --password admin \
        --shot "/odoo/action-helpdesk_ticket.helpdesk_department_action_overview=docs/screenshots/overview.png"

Each --shot is PATH=OUTPUT; PATH is opened after logging in (skip --login for public pages).
"""
import argparse
import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request

import websocket


def login(url, db, user, password):
    """Log in through /web/session/authenticate and return the session id."""
    payload = json.dumps({"jsonrpc": "2.0", "params": {"db": db, "login": user, "password": password}}).encode()
    request = urllib.request.Request(
        url + "/web/session/authenticate", data=payload, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request) as response:
        for header, value in response.getheaders():
            if header.lower() == "set-cookie" and value.startswith("session_id="):
                return value.split(";", 1)[0].split("=", 1)[1]
    raise SystemExit("login failed")


class Browser:
    def __init__(self, width, height):
        self.profile = tempfile.mkdtemp(prefix="hd-chromium-")
        port_file = os.path.join(self.profile, "DevToolsActivePort")
        self.proc = subprocess.Popen(
            [
                shutil.which("chromium") or "/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                f"--window-size={width},{height}", f"--user-data-dir={self.profile}",
                "--remote-debugging-port=0", "about:blank",
            ],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            if os.path.exists(port_file):
                break
            time.sleep(0.1)
        port = open(port_file).read().split()[0]
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json"))
        page = next(t for t in targets if t["type"] == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60)
        self.msg_id = 0

    def call(self, method, **params):
        self.msg_id += 1
        self.ws.send(json.dumps({"id": self.msg_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.msg_id:
                return message.get("result", {})

    def close(self):
        self.ws.close()
        self.proc.terminate()
        self.proc.wait(10)
        shutil.rmtree(self.profile, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://127.0.0.1:8069")
    parser.add_argument("--db", required=True)
    parser.add_argument("--login")
    parser.add_argument("--password")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=850)
    parser.add_argument("--wait", type=float, default=4.0, help="seconds to let the page render")
    parser.add_argument("--shot", action="append", required=True)
    args = parser.parse_args()
    browser = Browser(args.width, args.height)
    try:
        host = args.url.split("//", 1)[1].split(":")[0].split("/")[0]
        if args.login:
            session = login(args.url, args.db, args.login, args.password)
            browser.call("Network.enable")
            browser.call("Network.setCookie", name="session_id", value=session, domain=host, path="/")
        for shot in args.shot:
            path, output = shot.rsplit("=", 1)
            browser.call("Page.enable")
            browser.call("Page.navigate", url=args.url + path)
            time.sleep(args.wait)
            data = browser.call("Page.captureScreenshot", format="png")["data"]
            os.makedirs(os.path.dirname(output) or ".", exist_ok=True)
            with open(output, "wb") as handle:
                handle.write(base64.b64decode(data))
            print("saved", output)
    finally:
        browser.close()


if __name__ == "__main__":
    main()
