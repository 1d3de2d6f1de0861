"""Issue #14: with more incidents than a browser should hold, the map asks only for its view
and draws red/blue clusters; zooming in splits them until single pins remain."""

import json
import time
import urllib.request

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from conftest import start_server_with_demo_data, stop_server
from test_accessibility import violations


@pytest.fixture(scope="module")
def crowded(tile_server):
    server = start_server_with_demo_data(tile_server, 4000)
    yield server
    stop_server(server)


def loaded(browser):
    """How many features the map drew for its view, once it has; read once, since a pan or zoom
    starts a new load that clears it."""
    value = WebDriverWait(browser, 30).until(lambda d: d.find_element(By.ID, "map").get_attribute("data-loaded"))
    return int(value)


def test_a_crowded_country_is_drawn_as_red_and_blue_clusters_that_split_as_one_zooms_in(crowded, browser):
    browser.set_window_size(1200, 900)
    browser.get(crowded.url + "/?lang=ru")
    features = loaded(browser)
    assert 0 < features <= 2000
    clusters = browser.find_elements(By.CSS_SELECTOR, "#map .incident-cluster")
    assert clusters, "a crowded view shows clusters"
    assert not browser.find_elements(By.CSS_SELECTOR, "#map path.pin-not-prevented, #map path.pin-prevented")

    # The counts on the map are the server's counts for the view.
    bbox = browser.execute_script(
        "var b = window.dauysMap.getBounds().pad(0.2); return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]"
        ".map(function (n) { return n.toFixed(5); }).join(',');")
    zoom = browser.execute_script("return window.dauysMap.getZoom()")
    with urllib.request.urlopen(f"{crowded.url}/api/v1/incidents/clusters?zoom={zoom}&bbox={bbox}") as response:
        body = response.read()
        view = json.loads(body)
    shown = sum(int(c.get_attribute("data-count")) for c in clusters)
    assert shown == view["total"] == sum(c["count"] for c in view["clusters"])
    assert b"description" not in body
    # Each circle is red and blue in its shares: where both kinds are counted, both colours show.
    mixed = [c for c in clusters if 0 < int(c.get_attribute("data-prevented")) < int(c.get_attribute("data-count"))]
    assert mixed, "demo data has stopped and not stopped incidents side by side"
    background = mixed[0].value_of_css_property("background-image")
    assert "conic-gradient" in background and "29, 78, 216" in background and "200, 30, 30" in background, background
    assert violations(browser) == []
    problems = [e["message"] for e in browser.get_log("browser")
                if "Content Security Policy" in e["message"] or "Refused to" in e["message"]]
    assert problems == []

    # A tap on the biggest cluster zooms into it; close enough, single pins with their popups.
    biggest = max(clusters, key=lambda c: int(c.get_attribute("data-count")))
    biggest.click()
    WebDriverWait(browser, 20).until(lambda d: d.execute_script("return window.dauysMap.getZoom()") > zoom)
    for _ in range(12):
        time.sleep(0.4)
        if loaded(browser) and browser.find_elements(By.CSS_SELECTOR, "#map path.pin-not-prevented, #map path.pin-prevented"):
            break
        # The biggest cluster, read in the page at once: a view that finishes loading meanwhile
        # replaces the elements a list read from Python would still point at.
        browser.execute_script("""
            var all = Array.from(document.querySelectorAll('#map .incident-cluster'));
            if (!all.length) return;
            var biggest = all.reduce(function (a, b) {
              return +a.getAttribute('data-count') >= +b.getAttribute('data-count') ? a : b; });
            biggest.dispatchEvent(new MouseEvent('click', {bubbles: true}));""")
    pins = browser.find_elements(By.CSS_SELECTOR, "#map path.pin-not-prevented, #map path.pin-prevented")
    assert pins, "zooming in ends with single pins"
    assert loaded(browser) <= 2000
