"""A person reports in Russian on a phone, a moderator publishes, the map shows the point."""

import base64
import hashlib
import hmac
import json
import re
import struct
import time
import urllib.request

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.ui import WebDriverWait

RECEIPT = re.compile(r"^[2-9A-HJ-NP-Z]{4}(-[2-9A-HJ-NP-Z]{4}){3}$")
ADMIN_EMAIL = "moderator@example.org"
ADMIN_PASSWORD = "a long and careful passphrase"


def wait(driver, seconds=20):
    return WebDriverWait(driver, seconds)


def click(driver, element_id):
    element = driver.find_element(By.ID, element_id)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
    element.click()


def next_step(driver):
    click(driver, "step-next")


def report_with_javascript(driver, server, prevented, description=None):
    """Reports with the stepped form and returns the receipt code. A unique description lets
    a moderator find this report in the queue, whose order within an hour is not arrival."""
    driver.get(server.url + "/report?lang=ru")
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "ru"
    # One step at a time, with a progress indicator.
    wait(driver).until(lambda d: d.find_element(By.ID, "step-nav").is_displayed())
    assert driver.find_element(By.ID, "step-about").is_displayed()
    assert not driver.find_element(By.ID, "step-place").is_displayed()
    # (On a phone the list gives way to "Step 1 of 5"; the list still marks the step.)
    assert driver.find_element(By.CSS_SELECTOR, "#progress li[aria-current=step]").get_attribute("textContent").strip()
    assert driver.find_element(By.ID, "step-counter").get_attribute("textContent").strip()

    click(driver, "role-victim")
    click(driver, "band-evening")
    next_step(driver)

    wait(driver).until(lambda d: d.find_element(By.ID, "step-place").is_displayed())
    Select(driver.find_element(By.ID, "city")).select_by_value("almaty")
    # The map library arrives after the first step is ready.
    pick_map = wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, "#pick-map[data-ready]"))
    assert pick_map.is_displayed()
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", pick_map)
    # A tap on a known street in Almaty. (Clicking the map's middle depended on how far the map
    # had moved to the chosen city on a slow machine.)
    driver.execute_script("window.dauysPickMap.fire('click', {latlng: L.latLng(43.2389, 76.8897)})")
    wait(driver).until(lambda d: d.find_element(By.ID, "latitude").get_attribute("value") == "43.238900")
    assert Select(driver.find_element(By.ID, "city")).first_selected_option.get_attribute("value") == "almaty"
    click(driver, "place-street")
    next_step(driver)

    wait(driver).until(lambda d: d.find_element(By.ID, "step-what").is_displayed())
    click(driver, "kind-verbal")
    box = driver.find_element(By.ID, "description")
    box.send_keys(description or "Мужчина шёл за мной от остановки и выкрикивал оскорбления. Было страшно.")
    next_step(driver)

    wait(driver).until(lambda d: d.find_element(By.ID, "step-who").is_displayed())
    click(driver, "perpetrator-stranger")
    click(driver, "prevented-yes" if prevented else "prevented-no")
    if prevented:
        click(driver, "prevented-by-bystander")
    next_step(driver)

    wait(driver).until(lambda d: d.find_element(By.ID, "step-finish").is_displayed())
    click(driver, "consent-yes")
    click(driver, "submit-report")

    code = wait(driver).until(EC.presence_of_element_located((By.ID, "receipt-code"))).text.strip()
    assert RECEIPT.match(code), code
    return code


# The authenticator app of each account, as the tests enrolled it: email -> [base32 key, last step].
AUTHENTICATOR = {}


def totp(secret, step):
    """The six digits an authenticator app shows for `step` (RFC 6238, HMAC-SHA-1)."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = mac[-1] & 15
    return "%06d" % ((struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000)


def next_code(email):
    """The code the account's app shows now; each step is accepted once, so a second sign-in
    in the same 30 seconds uses the next step's code (one step of drift is allowed)."""
    entry = AUTHENTICATOR[email]
    now = int(time.time()) // 30
    if entry[1] is not None and entry[1] >= now + 1:
        time.sleep((entry[1] - now) * 30 - time.time() % 30 + 1)
        now = int(time.time()) // 30
    step = now if entry[1] is None else max(now, entry[1] + 1)
    entry[1] = step
    return totp(entry[0], step)


def enrol_authenticator(driver, email, check=None):
    """On the enrolment page: reads the key as a person would type it, confirms a first code,
    and goes on from the recovery codes. `check(driver)` runs on each page on the way."""
    wait(driver).until(EC.presence_of_element_located((By.ID, "totp-secret")))
    if check:
        check(driver)
    secret = driver.find_element(By.ID, "totp-secret").text.replace(" ", "")
    AUTHENTICATOR[email] = [secret, None]
    driver.find_element(By.ID, "code").send_keys(next_code(email))
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    codes = wait(driver).until(EC.presence_of_element_located((By.ID, "recovery-codes")))
    assert len(codes.find_elements(By.TAG_NAME, "li")) == 10
    if check:
        check(driver)
    click(driver, "recovery-continue")


def sign_in(driver, server, email, password, check=None):
    """Password, then the code from the app (or, the first time, enrolling the app)."""
    driver.get(server.url + "/admin/login")
    driver.find_element(By.ID, "email").send_keys(email)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait(driver).until(lambda d: "/admin/second-factor" in d.current_url)
    if "/setup" in driver.current_url:
        enrol_authenticator(driver, email, check)
        return
    if check:
        check(driver)
    driver.find_element(By.ID, "code").send_keys(next_code(email))
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait(driver).until(lambda d: "/admin/second-factor" not in d.current_url)


# The first moderator's session, kept as a browser keeps it between visits, so each test does
# not sign in anew (sign-ins are limited per address, as they are for people).
SAVED_SESSION = {}


def sign_in_as_moderator(driver, server):
    driver.get(server.url + "/admin/login")
    if "/admin/login" not in driver.current_url:
        return
    if server.url in SAVED_SESSION:
        for cookie in SAVED_SESSION[server.url]:
            driver.add_cookie(cookie)
        driver.get(server.url + "/admin")
        if "/admin/login" not in driver.current_url:
            return
    _sign_in_as_moderator(driver, server)
    SAVED_SESSION[server.url] = [c for c in driver.get_cookies() if c["name"] == "dauys_admin"]


def _sign_in_as_moderator(driver, server):
    # The first moderator is made from the one-time link printed at start-up.
    driver.get(server.setup_link)
    if driver.find_elements(By.ID, "password") and "/admin/setup/" in driver.current_url:
        driver.find_element(By.ID, "email").send_keys(ADMIN_EMAIL)
        driver.find_element(By.ID, "password").send_keys(ADMIN_PASSWORD)
        driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        enrol_authenticator(driver, ADMIN_EMAIL)
        wait(driver).until(lambda d: d.current_url.rstrip("/").endswith("/admin"))
        return
    sign_in(driver, server, ADMIN_EMAIL, ADMIN_PASSWORD)


def open_pending(driver, server, excerpt):
    """Opens the pending report whose description holds `excerpt`."""
    sign_in_as_moderator(driver, server)
    driver.get(server.url + "/admin?status=pending")
    rows = [row for row in driver.find_elements(By.CSS_SELECTOR, "table.queue tbody tr") if excerpt in row.text]
    assert len(rows) == 1, f"{len(rows)} pending reports hold {excerpt!r}"
    rows[0].find_element(By.CSS_SELECTOR, "a[href^='/admin/reports/']").click()


def publish(driver, server, excerpt, public_text):
    open_pending(driver, server, excerpt)
    text = wait(driver).until(EC.presence_of_element_located((By.ID, "publicDescription")))
    text.clear()
    text.send_keys(public_text)
    click(driver, "publish-button")
    wait(driver).until(lambda d: "status=pending" in d.current_url)


def marker_colours(driver, server):
    driver.get(server.url + "/?lang=ru")
    wait(driver).until(lambda d: d.find_element(By.ID, "map").get_attribute("data-loaded") is not None)
    # Show every pin: fit them all in view, at a zoom where none is clustered.
    driver.execute_script(
        "var b = window.dauysPins.getBounds(); window.dauysMap.fitBounds(b, {animate: false});"
        "if (window.dauysMap.getZoom() < 14) window.dauysMap.setView(b.getCenter(), 14, {animate: false});")
    # The map asks for its new view a moment after it stops moving.
    time.sleep(0.5)
    wait(driver).until(lambda d: d.find_element(By.ID, "map").get_attribute("data-loaded") is not None)
    paths = driver.find_elements(By.CSS_SELECTOR, "#map path.pin-not-prevented, #map path.pin-prevented")
    return [(p.get_attribute("class"), p.get_attribute("stroke")) for p in paths]


def open_popup_with(driver, server, selector, text):
    """Opens the popups of the pins matching `selector` until one says `text`, and returns it.
    The map is first centred on that incident's public point, found through the API, so the
    pin is in view (and unclustered) however the other tests' pins are spread."""
    with urllib.request.urlopen(server.url + "/api/v1/incidents?perPage=1000") as response:
        features = json.load(response)["features"]
    points = [f["geometry"]["coordinates"] for f in features if text in f["properties"]["description"]]
    assert len(points) == 1, f"{len(points)} published incidents say {text!r}"
    lon, lat = points[0]
    driver.execute_script(f"window.dauysMap.setView([{lat}, {lon}], 16, {{animate: false}})")
    time.sleep(0.5)
    wait(driver).until(lambda d: d.find_element(By.ID, "map").get_attribute("data-loaded") is not None)
    for pin in driver.find_elements(By.CSS_SELECTOR, selector):
        # Pins from one place share a point: close the last popup so the next one is read.
        driver.execute_script("window.dauysMap.closePopup()")
        driver.execute_script("arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}))", pin)
        popup = wait(driver).until(EC.visibility_of_element_located((By.CSS_SELECTOR, ".leaflet-popup-content")))
        # The popup's words come from the server a moment after it opens.
        wait(driver).until(lambda d: popup.find_elements(By.CSS_SELECTOR, ".popup-text:not([aria-busy])"))
        if text in popup.text:
            return popup
    raise AssertionError(f"no pin's popup says {text!r}")


def test_report_publish_and_see_it_on_the_map(server, browser):
    code = report_with_javascript(
        browser, server, prevented=False, description="REDPIN Мужчина шёл за мной и выкрикивал оскорбления у остановки.")
    publish(browser, server, "REDPIN", "Незнакомый мужчина преследовал и оскорблял на улице вечером.")
    colours = marker_colours(browser, server)
    assert any("pin-not-prevented" in c and s.lower() == "#c81e1e" for c, s in colours), colours

    # The popup shows the public version only, as text. Other tests' red pins may be near.
    popup = open_popup_with(browser, server, "#map path.pin-not-prevented", "Незнакомый мужчина преследовал")
    assert "остановки" not in popup.text

    # The reporter sees the new status with the code.
    browser.get(server.url + "/check?lang=ru")
    browser.find_element(By.ID, "code").send_keys(code.lower())
    browser.find_element(By.CSS_SELECTOR, "form.check-form button").click()
    assert "Опубликовано" in wait(browser).until(EC.presence_of_element_located((By.CLASS_NAME, "status-label"))).text


def test_a_prevented_incident_is_blue_and_its_popup_is_plain_text(server, browser):
    report_with_javascript(
        browser, server, prevented=True, description="BLUEPIN Мужчина приставал ко мне, прохожий вмешался и он ушёл.")
    payload = 'Прохожий вмешался <img src=x onerror="window.__xss=1"><script>window.__xss=2</script> и он ушёл.'
    publish(browser, server, "BLUEPIN", payload)
    colours = marker_colours(browser, server)
    assert any("pin-prevented" in c and s.lower() == "#1d4ed8" for c, s in colours), colours

    popup = open_popup_with(browser, server, "#map path.pin-prevented", "Прохожий вмешался")
    assert '<img src=x onerror="window.__xss=1">' in popup.text
    assert not popup.find_elements(By.TAG_NAME, "img")
    assert not popup.find_elements(By.TAG_NAME, "script")
    assert browser.execute_script("return window.__xss") is None


def test_the_form_works_without_javascript(server, browser_without_js):
    driver = browser_without_js
    driver.get(server.url + "/report?lang=ru")
    # Every step is on the page at once and the map picker stays hidden.
    for step in ("step-about", "step-place", "step-what", "step-who", "step-finish"):
        assert driver.find_element(By.ID, step).is_displayed()
    assert not driver.find_element(By.ID, "map-picker").is_displayed()
    click(driver, "role-witness")
    click(driver, "band-morning")
    Select(driver.find_element(By.ID, "city")).select_by_value("karaganda")
    driver.find_element(By.ID, "landmark").send_keys("у автовокзала")
    click(driver, "place-public_transport")
    click(driver, "kind-physical")
    click(driver, "kind-verbal")
    driver.find_element(By.ID, "description").send_keys("В маршрутке мужчина трогал девушку, она пересела, водитель промолчал.")
    click(driver, "perpetrator-stranger")
    click(driver, "prevented-no")
    click(driver, "consent-yes")
    click(driver, "submit-report")
    code = wait(driver).until(EC.presence_of_element_located((By.ID, "receipt-code"))).text.strip()
    assert RECEIPT.match(code), code


def test_each_step_change_moves_focus_to_the_steps_heading(server, browser):
    browser.get(server.url + "/report?lang=en")
    wait(browser).until(lambda d: d.find_element(By.ID, "step-nav").is_displayed())
    click(browser, "role-witness")
    next_step(browser)
    focused = browser.switch_to.active_element
    assert focused.tag_name == "legend" and focused.text == browser.find_element(By.CSS_SELECTOR, "#step-place > legend").text
    click(browser, "step-back")
    assert browser.switch_to.active_element.text == browser.find_element(By.CSS_SELECTOR, "#step-about > legend").text


def test_an_error_summary_links_each_message_to_its_field(server, browser_without_js, browser):
    # Without JavaScript the browser's own checks are off too, so the server's errors show.
    driver = browser_without_js
    driver.get(server.url + "/report?lang=en")
    driver.execute_script("document.getElementById('report-form').noValidate = true")
    click(driver, "submit-report")
    summary = wait(driver).until(EC.presence_of_element_located((By.ID, "error-summary")))
    links = summary.find_elements(By.TAG_NAME, "a")
    assert len(links) >= 5
    for link in links:
        target = driver.find_element(By.ID, link.get_attribute("href").split("#", 1)[1])
        described = (target.get_attribute("aria-describedby") or "")
        group = target.find_elements(By.XPATH, "ancestor::fieldset[@aria-describedby][1]")
        assert described.endswith("-error") or "-error" in described or group, link.text

    # With JavaScript, following a link opens the step that holds the field.
    html = driver.page_source
    browser.get(server.url + "/report?lang=en")
    browser.execute_script("document.getElementById('report-form').noValidate = true;"
                           "document.getElementById('report-form').submit()")
    summary = wait(browser).until(EC.presence_of_element_located((By.ID, "error-summary")))
    assert browser.switch_to.active_element.get_attribute("id") == "error-summary"
    link = [a for a in summary.find_elements(By.TAG_NAME, "a") if "#perpetrator-" in a.get_attribute("href")][0]
    link.click()
    assert browser.find_element(By.ID, "step-who").is_displayed()
    assert browser.switch_to.active_element.get_attribute("id").startswith("perpetrator-")
    assert "error-summary" in html
