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
                 "/admin/guides/new", "/admin/faq", "/admin/faq/new"]:
        browser.get(server.url + path)
        assert violations(browser) == [], path
    browser.get(server.url + "/admin?status=pending")
    browser.find_elements(By.CSS_SELECTOR, "table.queue a[href^='/admin/reports/']")[-1].click()
    assert violations(browser) == []
