"""What the browser did and what the server kept: nothing third-party, nothing identifying.
Named to run last, after the other browser tests have used the server."""

import glob
import json
import os

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from conftest import SENTINEL_ADDRESS, SENTINEL_AGENT, TileHandler

PUBLIC_PAGES = ["/", "/report", "/check", "/help", "/self-check", "/faq", "/guides", "/guides/online", "/stats", "/data", "/admin/login"]


def requested_urls(driver):
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_public_pages_load_nothing_from_another_origin_and_break_no_policy(server, browser, language):
    for path in PUBLIC_PAGES:
        browser.get(f"{server.url}{path}?lang={language}")
        if path == "/":
            WebDriverWait(browser, 20).until(
                lambda d: d.find_element(By.ID, "map").get_attribute("data-loaded") is not None)
            # Let the map fetch its tiles (through our server).
            WebDriverWait(browser, 20).until(
                lambda d: d.execute_script("return document.querySelectorAll('.leaflet-tile-loaded').length") > 0)
        urls = requested_urls(browser)
        assert urls, path
        foreign = [u for u in urls if not (u.startswith(server.url + "/") or u.startswith("data:"))]
        assert foreign == [], f"{path} contacted another origin: {foreign}"
        problems = [e["message"] for e in browser.get_log("browser")
                    if "Content Security Policy" in e["message"] or "Refused to" in e["message"]]
        assert problems == [], f"{path}: {problems}"


def test_no_log_line_or_stored_byte_holds_the_visitors_address_or_browser(server, browser):
    # Make sure the server has seen the sentinel headers at least once in this test too.
    browser.get(server.url + "/check?lang=ru")
    browser.find_element(By.ID, "code").send_keys("AAAA-BBBB-CCCC-DDDD")
    browser.find_element(By.CSS_SELECTOR, "form.check-form button").click()

    log = server.log_text()
    assert "request" in log  # the request log is on (LOG_LEVEL=debug) and was scanned
    for sentinel in (SENTINEL_AGENT, "DauysSentinelBrowser", SENTINEL_ADDRESS, "AAAA-BBBB-CCCC-DDDD"):
        assert sentinel not in log, f"the server log holds {sentinel!r}"

    for path in glob.glob(os.path.join(server.data_dir, "dauys.sqlite*")):
        with open(path, "rb") as handle:
            data = handle.read()
        for sentinel in (SENTINEL_AGENT, "DauysSentinelBrowser", SENTINEL_ADDRESS):
            assert sentinel.encode() not in data, f"{os.path.basename(path)} holds {sentinel!r}"

    # The tile server heard from our server only, never about the visitor.
    assert TileHandler.seen_headers, "no tile was fetched"
    for raw in TileHandler.seen_headers:
        headers = {name.lower(): value for name, value in raw.items()}
        text = json.dumps(headers)
        assert "DauysSentinel" not in text and SENTINEL_ADDRESS not in text
        assert headers.get("user-agent", "").startswith("Dauys-tile-proxy/")
        assert "cookie" not in headers and "referer" not in headers and "x-forwarded-for" not in headers
