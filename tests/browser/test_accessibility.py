"""axe-core finds no accessibility violations on the pages of the core, in every language."""

import pytest
from axe_selenium_python import Axe
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

PAGES = ["/", "/report", "/check", "/help", "/help?city=semey", "/self-check", "/faq", "/guides", "/guides/workplace", "/admin/login", "/no-such-page"]


def violations(driver):
    axe = Axe(driver)
    axe.inject()
    results = axe.run()
    return [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:5])
        for v in results["violations"]
    ]


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
@pytest.mark.parametrize("path", PAGES)
def test_pages_have_no_axe_violations(server, browser, path, language):
    separator = "&" if "?" in path else "?"
    browser.get(f"{server.url}{path}{separator}lang={language}")
    if path == "/":
        WebDriverWait(browser, 20).until(lambda d: d.find_element(By.ID, "map").get_attribute("data-loaded") is not None)
    assert violations(browser) == []


def test_receipt_and_check_pages_have_no_axe_violations(server, browser):
    from test_report_flow import report_with_javascript

    code = report_with_javascript(browser, server, prevented=False)
    assert violations(browser) == []
    browser.get(server.url + "/check?lang=en")
    browser.find_element(By.ID, "code").send_keys(code)
    browser.find_element(By.CSS_SELECTOR, "form.check-form button").click()
    WebDriverWait(browser, 20).until(lambda d: d.find_elements(By.CLASS_NAME, "status-label"))
    assert violations(browser) == []


def test_admin_pages_have_no_axe_violations(server, browser):
    from test_report_flow import report_with_javascript, sign_in_as_moderator

    report_with_javascript(browser, server, prevented=False)
    sign_in_as_moderator(browser, server)
    for path in ["/admin", "/admin/audit", "/admin/password", "/admin/hotlines", "/admin/hotlines/new", "/admin/guides",
                 "/admin/guides/new", "/admin/faq", "/admin/faq/new", "/admin/accounts", "/admin/tokens",
                 "/admin/reports/new"]:
        browser.get(server.url + path)
        assert violations(browser) == [], path
    browser.get(server.url + "/admin?status=pending")
    browser.find_elements(By.CSS_SELECTOR, "table.queue a[href^='/admin/reports/']")[-1].click()
    assert violations(browser) == []


def test_signing_in_with_a_second_factor_passes_axe(server, browser):
    """A new moderator's first sign-in (enrolment with its QR code, the recovery codes, the
    one-time password replaced) and a later one (the code prompt), each page checked."""
    import os
    import re
    import subprocess
    from test_report_flow import sign_in

    binary = os.environ.get("DAUYS_BINARY", os.path.abspath(".build/debug/dauys"))
    env = dict(os.environ, DAUYS_DATA_DIR=server.data_dir)
    env.pop("DATABASE_URL", None)
    email = "second-factor@example.org"
    out = subprocess.run([binary, "admin", "create", "--email", email, "--role", "moderator"], env=env, check=True,
                         capture_output=True, text=True).stdout
    one_time = re.search(r"first login\): (\S+)", out).group(1)
    checked = []

    def check(driver):
        checked.append(driver.current_url)
        assert violations(driver) == [], driver.current_url
        if driver.find_elements(By.ID, "totp-secret"):
            # The QR code is drawn by our server, inline: no image from anywhere else.
            assert driver.find_element(By.CSS_SELECTOR, ".qr-code svg path").get_attribute("d").startswith("M4 4h1v1h-1z")

    sign_in(browser, server, email, one_time, check)
    WebDriverWait(browser, 20).until(lambda d: "/admin/password" in d.current_url)
    check(browser)
    browser.find_element(By.ID, "current").send_keys(one_time)
    browser.find_element(By.ID, "password").send_keys("a new and careful passphrase")
    browser.find_element(By.ID, "confirmation").send_keys("a new and careful passphrase")
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    WebDriverWait(browser, 20).until(lambda d: d.current_url.rstrip("/").endswith("/admin"))

    browser.delete_all_cookies()
    sign_in(browser, server, email, "a new and careful passphrase", check)
    assert browser.current_url.rstrip("/").endswith("/admin")
    assert any("/admin/second-factor/setup" in url for url in checked)
    assert any(url.rstrip("/").endswith("/admin/second-factor") for url in checked)
