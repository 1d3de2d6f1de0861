"""Browser tests: the real `dauys` binary on a temporary SQLite database, driven by
headless Chromium through Selenium. Nothing here reaches the internet: map tiles come from a
stand-in tile server on 127.0.0.1, through our server."""

import base64
import http.server
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

# Selenium must not try to download a browser or driver: Debian's are used.
os.environ.setdefault("SE_OFFLINE", "true")


PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==")


class TileHandler(http.server.BaseHTTPRequestHandler):
    """A stand-in tile server on 127.0.0.1 that records the headers it is sent."""

    seen_headers = []

    def do_GET(self):
        TileHandler.seen_headers.append(dict(self.headers))
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(PNG)))
        self.end_headers()
        self.wfile.write(PNG)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def tile_server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), TileHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


SENTINEL_AGENT = "DauysSentinelBrowser/7.3 (privacy-check)"
SENTINEL_ADDRESS = "203.0.113.77"


class Server:
    def __init__(self, process, url, setup_link, data_dir, log_path):
        self.process = process
        self.url = url
        self.setup_link = setup_link
        self.data_dir = data_dir
        self.log_path = log_path

    def log_text(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as handle:
            return handle.read()


def start_server(tile_server, extra_env=None):
    """Starts the real binary on a fresh data folder; returns the `Server` once it printed its
    address and the first administrator's one-time link."""
    binary = os.environ.get("DAUYS_BINARY", os.path.abspath(".build/debug/dauys"))
    data_dir = tempfile.mkdtemp(prefix="dauys-browser-")
    log_path = os.path.join(tempfile.mkdtemp(prefix="dauys-browser-log-"), "server.log")
    env = dict(os.environ)
    env.update(DAUYS_DATA_DIR=data_dir, DAUYS_TILE_URL=tile_server + "/{z}/{x}/{y}.png", LOG_LEVEL="debug")
    env.update(extra_env or {})
    env.pop("DATABASE_URL", None)
    log = open(log_path, "w")
    # The log goes to a file, never a pipe that could fill up and stall the server.
    process = subprocess.Popen(
        [binary, "serve", "--hostname", "127.0.0.1", "--port", "0"],
        stdout=log, stderr=subprocess.STDOUT, text=True, env=env,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
    )
    url = setup = None
    deadline = time.time() + 120
    while time.time() < deadline and (url is None or setup is None) and process.poll() is None:
        with open(log_path, encoding="utf-8", errors="replace") as handle:
            text = handle.read()
        if m := re.search(r"Dauys is running at (http://\S+?)/?$", text, re.M):
            url = m.group(1)
        if m := re.search(r"(http://\S+/admin/setup/\S+)", text):
            setup = m.group(1)
        time.sleep(0.2)
    if url is None or setup is None:
        process.kill()
        raise RuntimeError("server did not start:\n" + open(log_path).read())
    server = Server(process, url, setup, data_dir, log_path)
    server.log_file = log
    return server


def start_server_with_demo_data(tile_server, count):
    """A server whose database holds `count` published synthetic incidents."""
    server = start_server(tile_server)
    binary = os.environ.get("DAUYS_BINARY", os.path.abspath(".build/debug/dauys"))
    env = dict(os.environ, DAUYS_DATA_DIR=server.data_dir)
    env.pop("DATABASE_URL", None)
    subprocess.run([binary, "demo-data", "--count", str(count), "--published"], env=env, check=True,
                   cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                   stdout=subprocess.DEVNULL)
    return server


def stop_server(server):
    server.process.terminate()
    server.process.wait(timeout=20)
    server.log_file.close()
    shutil.rmtree(server.data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def server(tile_server):
    started = start_server(tile_server)
    yield started
    stop_server(started)


def make_driver(javascript=True, width=360, height=780):
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     f"--window-size={width},{height}", "--lang=ru-RU", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--dns-prefetch-disable", "--disable-features=OptimizationHints,MediaRouter,Translate"):
        options.add_argument(argument)
    options.add_argument(f"--user-agent={SENTINEL_AGENT}")
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    if not javascript:
        options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    service = Service(shutil.which("chromedriver") or "/usr/bin/chromedriver")
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(60)
    # Every request also claims to come through a proxy from a sentinel address: the server
    # must neither trust nor keep it.
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": {"X-Forwarded-For": SENTINEL_ADDRESS}})
    return driver


@pytest.fixture
def browser():
    driver = make_driver()
    yield driver
    driver.quit()


def emulate_phone(driver, width=360, height=780):
    """A phone's screen: headless Chromium keeps its window at least 500 px wide whatever
    `--window-size` asks, so the viewport is set through the DevTools protocol, with touch."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 2, "mobile": True})
    driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5})
    return driver


@pytest.fixture
def phone():
    driver = emulate_phone(make_driver())
    yield driver
    driver.quit()


@pytest.fixture
def browser_without_js():
    driver = make_driver(javascript=False)
    yield driver
    driver.quit()
