"""Issue #15: the public site on a 360×780 phone, in Kazakh and Russian — nothing hidden shows,
every tap target is at least 44×44 px, no page scrolls sideways, and the quick exit (with the
"leave no trace" page beside it) stays on screen however far one scrolls."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

PUBLIC_PAGES = ["/", "/report", "/check", "/help", "/help?city=semey", "/self-check", "/faq", "/guides",
                "/guides/workplace", "/stats", "/data", "/no-trace", "/no-such-page"]
ADMIN_PAGES = ["/admin", "/admin/audit", "/admin/password", "/admin/hotlines", "/admin/hotlines/new", "/admin/guides",
               "/admin/faq", "/admin/accounts", "/admin/tokens", "/admin/reports/new"]


def open_page(driver, server, path, language):
    separator = "&" if "?" in path else "?"
    driver.get(f"{server.url}{path}{separator}lang={language}")
    if path == "/":
        WebDriverWait(driver, 20).until(
            lambda d: d.find_element(By.ID, "map").get_attribute("data-loaded") is not None)


# Elements with `hidden` that still take up room on screen.
SHOWN_THOUGH_HIDDEN = """
return Array.from(document.querySelectorAll('[hidden]'))
  .filter(e => e.getClientRects().length > 0)
  .map(e => e.outerHTML.slice(0, 120));
"""

# Every tap target smaller than 44×44 px: links, buttons, fields, summaries, and for a radio
# button or checkbox the label one taps. Links inside a sentence are exempt (WCAG 2.5.8), and
# so are the map's own drawings.
SMALL_TARGETS = """
const small = [];
function visible(e) {
  const style = getComputedStyle(e);
  return e.getClientRects().length > 0 && style.visibility !== 'hidden';
}
function inSentence(link) {
  const parent = link.parentElement;
  if (!parent) return false;
  const own = (link.textContent || '').trim().length;
  const around = (parent.textContent || '').trim().length;
  return around > own + 2 && getComputedStyle(link).display === 'inline';
}
for (const e of document.querySelectorAll('a[href], button, input, select, textarea, summary')) {
  if (!visible(e) || e.closest('.leaflet-attribution-flag')) continue;
  if (e.type === 'hidden') continue;
  if (e.matches('a') && inSentence(e)) continue;
  if (e.closest('.skip-link') && document.activeElement !== e) continue;
  let box = e.getBoundingClientRect();
  if (e.matches('input[type=radio], input[type=checkbox]')) {
    const label = e.closest('label') || (e.id && document.querySelector('label[for="' + e.id + '"]'));
    if (label) {
      const outer = (e.closest('.choice') || label).getBoundingClientRect();
      box = outer;
    }
  }
  if (box.width < 43.5 || box.height < 43.5) {
    small.push(Math.round(box.width) + 'x' + Math.round(box.height) + ' ' + e.outerHTML.slice(0, 100));
  }
}
return small;
"""

SIDEWAYS = "return document.documentElement.scrollWidth - window.innerWidth;"


@pytest.mark.parametrize("language", ["kk", "ru"])
@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_a_phone_sees_no_hidden_element_no_small_target_and_no_sideways_scroll(server, phone, path, language):
    open_page(phone, server, path, language)
    assert phone.execute_script(SHOWN_THOUGH_HIDDEN) == []
    assert phone.execute_script(SMALL_TARGETS) == []
    assert phone.execute_script(SIDEWAYS) <= 0


def test_every_step_of_the_report_form_fits_a_phone(server, phone):
    """Each step of the form: no Back on the first, no Next beside Submit on the last, the
    step buttons on screen without scrolling, and every target big enough."""
    phone.get(server.url + "/report?lang=kk")
    WebDriverWait(phone, 20).until(lambda d: d.find_element(By.ID, "step-nav").is_displayed())
    assert not phone.find_element(By.ID, "step-back").is_displayed()
    steps = phone.find_elements(By.CSS_SELECTOR, "fieldset.step")
    for index in range(len(steps)):
        assert phone.execute_script(SHOWN_THOUGH_HIDDEN) == [], index
        assert phone.execute_script(SMALL_TARGETS) == [], index
        assert phone.execute_script(SIDEWAYS) <= 0, index
        last = index == len(steps) - 1
        button = phone.find_element(By.ID, "submit-report" if last else "step-next")
        top = phone.execute_script("return arguments[0].getBoundingClientRect().bottom", button)
        assert 0 < top <= phone.execute_script("return window.innerHeight"), f"step {index}: button below the fold"
        if last:
            assert not phone.find_element(By.ID, "step-next").is_displayed()
        else:
            phone.execute_script("document.getElementById('report-form').noValidate = true")
            phone.execute_script("window.dauysReportSteps.show(arguments[0])", index + 1)


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_the_quick_exit_stays_on_screen_at_the_end_of_the_faq_and_no_trace_is_beside_it(server, phone, language):
    open_page(phone, server, "/faq", language)
    phone.execute_script("window.scrollTo(0, document.documentElement.scrollHeight)")
    assert phone.execute_script("return window.scrollY") > 2000, "the FAQ is long"
    on_top = phone.execute_script(
        """const e = document.getElementById('quick-exit'); const r = e.getBoundingClientRect();
           const x = r.left + r.width / 2, y = r.top + r.height / 2;
           return r.top >= 0 && r.bottom <= window.innerHeight && e.contains(document.elementFromPoint(x, y));""")
    assert on_top
    # "How to leave no trace" sits in the header beside it.
    phone.execute_script("window.scrollTo(0, 0)")
    link = phone.find_element(By.ID, "no-trace-link")
    assert link.is_displayed()
    assert phone.execute_script("return arguments[0].getBoundingClientRect().top", link) < 200
    link.click()
    WebDriverWait(phone, 20).until(lambda d: "/no-trace" in d.current_url)
    assert "Telegram" in phone.find_element(By.TAG_NAME, "main").text


def test_the_admin_pages_do_not_scroll_sideways_on_a_phone(server, browser, phone):
    from test_report_flow import report_with_javascript, sign_in_as_moderator

    report_with_javascript(browser, server, prevented=False)
    # Signed in on the wider browser; the phone carries the same session (touch emulation
    # makes WebDriver's clicks on forms unreliable, which is not what this test is about).
    sign_in_as_moderator(browser, server)
    phone.get(server.url + "/admin/login")
    for cookie in browser.get_cookies():
        phone.add_cookie({"name": cookie["name"], "value": cookie["value"], "path": cookie.get("path", "/")})
    for path in ADMIN_PAGES + ["/admin?status=pending"]:
        phone.get(server.url + path)
        assert "/admin/login" not in phone.current_url
        assert phone.execute_script(SIDEWAYS) <= 0, path
    phone.get(server.url + "/admin?status=pending")
    phone.get(phone.find_elements(By.CSS_SELECTOR, "table.queue a[href^='/admin/reports/']")[-1].get_attribute("href"))
    assert phone.execute_script(SIDEWAYS) <= 0, "a report"
