"""The evidence pages in a real browser — statistics, open data and releases: named to run after
the map tests, because it fills the database with published demo reports across the country
first, and before the privacy scan of test_zz_privacy, which then covers them too."""

import json
import os
import re
import subprocess

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from test_accessibility import violations
from test_zz_privacy import requested_urls


@pytest.fixture(scope="module")
def published(server):
    binary = os.environ.get("DAUYS_BINARY", os.path.abspath(".build/debug/dauys"))
    env = dict(os.environ, DAUYS_DATA_DIR=server.data_dir)
    env.pop("DATABASE_URL", None)
    # The browser tests' own reports are real ones, hence --force.
    subprocess.run([binary, "demo-data", "--count", "200", "--published", "--force"], env=env, check=True,
                   cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                   stdout=subprocess.DEVNULL)
    return server


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
@pytest.mark.parametrize("path", ["/stats", "/stats?city=almaty&perpetrator=known"])
def test_the_statistics_pass_axe_and_draw_a_chart_for_every_table(published, browser, path, language):
    browser.get(f"{published.url}{path}&lang={language}" if "?" in path else f"{published.url}{path}?lang={language}")
    tables = browser.find_elements(By.CSS_SELECTOR, "table[data-chart-table]")
    assert tables, "no statistics shown"
    WebDriverWait(browser, 20).until(
        lambda d: d.execute_script("return window.Chart && Object.keys(window.Chart.instances).length") == len(tables))
    assert violations(browser) == []
    urls = requested_urls(browser)
    assert [u for u in urls if not (u.startswith(published.url + "/") or u.startswith("data:"))] == []
    problems = [e["message"] for e in browser.get_log("browser")
                if "Content Security Policy" in e["message"] or "Refused to" in e["message"] or "Error" in e["message"]]
    assert problems == []


def test_without_javascript_the_tables_are_there(published, browser_without_js):
    browser_without_js.get(published.url + "/stats?lang=kk&city=almaty")
    assert browser_without_js.find_elements(By.CSS_SELECTOR, "table[data-chart-table] tbody tr")
    assert browser_without_js.find_element(By.CSS_SELECTOR, ".stats-summary .headline").text


def test_the_api_and_the_page_agree(published, browser):
    import urllib.request
    with urllib.request.urlopen(published.url + "/api/v1/stats?city=almaty") as response:
        stats = json.load(response)
    browser.get(published.url + "/stats?lang=en&city=almaty")
    total = browser.find_element(By.CSS_SELECTOR, ".stats-total strong").text
    assert total == str(stats["total"]["count"])
    # Every number shown is a multiple of 5, "fewer than 5", or hidden beside a small one.
    for cell in browser.find_elements(By.CSS_SELECTOR, "table.stats-table td:nth-child(2)"):
        assert cell.text in ("fewer than 5", "hidden") or int(cell.text) % 5 == 0, cell.text


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_the_data_dictionary_passes_axe_and_links_downloads_that_work(published, browser, language):
    import urllib.request
    browser.get(f"{published.url}/data?lang={language}")
    assert violations(browser) == []
    links = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "a[href*='/api/v1/export/']")]
    assert len(links) == 2
    for link in links:
        with urllib.request.urlopen(link) as response:
            assert response.status == 200
            assert response.headers["Content-Disposition"].startswith("attachment")
            assert len(response.read()) > 1000


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_the_density_layer_shows_cities_then_squares_with_a_legend_in_words(published, browser, language):
    browser.get(f"{published.url}/?lang={language}")
    WebDriverWait(browser, 20).until(lambda d: d.find_element(By.ID, "map").get_attribute("data-loaded") is not None)
    assert not browser.find_element(By.ID, "legend-density").is_displayed()
    browser.find_element(By.CSS_SELECTOR, "label[for=layer-density]").click()
    WebDriverWait(browser, 20).until(
        lambda d: d.find_element(By.ID, "map").get_attribute("data-density-loaded") == "cities")
    assert browser.find_element(By.ID, "legend-density").is_displayed()
    assert not browser.find_element(By.ID, "legend-pins").is_displayed()
    assert browser.find_elements(By.CSS_SELECTOR, "#map path.density-city")
    assert not browser.find_elements(By.CSS_SELECTOR, "#map path.pin-not-prevented, #map path.pin-prevented")
    assert violations(browser) == []

    # A city's view: squares of about 1 km, each saying how many reports it holds, in words.
    browser.execute_script("window.dauysMap.setView([43.25, 76.91], 12, {animate: false})")
    WebDriverWait(browser, 20).until(
        lambda d: d.find_element(By.ID, "map").get_attribute("data-density-loaded") == "cells")
    squares = browser.find_elements(By.CSS_SELECTOR, "#map path.density-cell")
    assert squares
    browser.execute_script("arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}))", squares[0])
    # The popup opens at once and fills in when the words arrive from the server.
    popup = WebDriverWait(browser, 20).until(
        lambda d: d.find_element(By.CSS_SELECTOR, ".leaflet-popup-content").text.strip()
        and d.find_element(By.CSS_SELECTOR, ".leaflet-popup-content"))
    text = popup.text
    assert text and "{" not in text
    # A small group is words, not a number from 1 to 4.
    assert not any(f" {n} " in f" {text} " for n in "1234"), text

    # Back to the pins.
    browser.find_element(By.CSS_SELECTOR, "label[for=layer-pins]").click()
    WebDriverWait(browser, 20).until(
        lambda d: not d.find_elements(By.CSS_SELECTOR, "#map path.density-cell"))
    assert browser.find_element(By.ID, "legend-pins").is_displayed()


@pytest.fixture(scope="module")
def release(published):
    """A release frozen through the admin API with a token from `dauys admin token`."""
    import re
    import urllib.request
    binary = os.environ.get("DAUYS_BINARY", os.path.abspath(".build/debug/dauys"))
    env = dict(os.environ, DAUYS_DATA_DIR=published.data_dir)
    env.pop("DATABASE_URL", None)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    subprocess.run([binary, "admin", "create", "--email", "releases@example.org", "--role", "admin"], env=env,
                   check=True, cwd=root, stdout=subprocess.DEVNULL)
    out = subprocess.run([binary, "admin", "token", "--email", "releases@example.org"], env=env, check=True,
                         cwd=root, capture_output=True, text=True).stdout
    token = re.search(r"\(shown once\): (\S+)", out).group(1)
    request = urllib.request.Request(
        published.url + "/api/v1/admin/releases", data=json.dumps({"name": "2026-Q4"}).encode(), method="POST",
        headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        assert response.status == 201
        return json.load(response)


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_a_release_its_list_and_a_city_summary_pass_axe(release, published, browser, language):
    for path in ["/data/releases", release["url"], release["url"] + "/cities/almaty"]:
        browser.get(f"{published.url}{path}?lang={language}")
        assert violations(browser) == [], path
        assert not re.search(r">\s*release_|>\s*stats_", browser.page_source), path
    # The page's checksum is the file's.
    import hashlib
    import urllib.request
    browser.get(f"{published.url}{release['url']}?lang={language}")
    link = browser.find_element(By.CSS_SELECTOR, "a[href$='-incidents.csv']").get_attribute("href")
    with urllib.request.urlopen(link) as response:
        assert hashlib.sha256(response.read()).hexdigest() == release["csvSha256"]
    assert release["csvSha256"] in browser.page_source


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_a_city_summary_prints_on_one_a4_page(release, published, browser, language):
    import base64
    from selenium.webdriver.common.print_page_options import PrintOptions
    # Almaty has the most reports in the demo data, so the longest tables.
    browser.get(f"{published.url}{release['url']}/cities/almaty?lang={language}")
    options = PrintOptions()
    options.page_width = 21.0
    options.page_height = 29.7
    pdf = base64.b64decode(browser.print_page(options))
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert pages == 1, f"{pages} pages"
    # In print, the site's chrome is gone (quick exit, menus) and the numbers stay.
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    shown = browser.execute_script(
        "return ['.quick-exit', '.site-nav', '.site-footer', '.city-summary table']"
        ".map(s => document.querySelector(s).getClientRects().length > 0)")
    assert shown == [False, False, False, True], shown
