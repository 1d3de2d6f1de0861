"""A moderator's day (issue #13): sign in with the authenticator app, narrow the queue to one
city, publish three reports at once, ask a reporter a question, and read the answers that come
back from the website and from the Telegram bot. The bot talks to a stand-in of the Bot API on
127.0.0.1; Telegram's updates are delivered to the webhook as Telegram would."""

import http.server
import itertools
import json
import threading
import time
import urllib.request

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.select import Select

from conftest import make_driver, start_server, stop_server
from test_report_flow import click, enrol_authenticator, wait

BOT_TOKEN = "123456789:BROWSER-test-token-abcdefgh"
WEBHOOK_SECRET = "moderators-day-webhook-secret-0123"
REPORTER_CHAT = 6_200_000_001
EMAIL = "day@example.org"
PASSWORD = "a whole day of careful moderation"


class BotAPI(http.server.BaseHTTPRequestHandler):
    """Answers the Bot API methods the bot uses and records every message it sends."""

    sent = []
    message_ids = itertools.count(500)
    lock = threading.Lock()

    def do_POST(self):
        method = self.path.rsplit("/", 1)[-1]
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        if method == "sendMessage":
            with BotAPI.lock:
                message_id = next(BotAPI.message_ids)
                BotAPI.sent.append(dict(body, message_id=message_id))
            result = {"message_id": message_id, "date": int(time.time()),
                      "chat": {"id": body.get("chat_id"), "type": "private"}}
        else:
            result = True
        answer = json.dumps({"ok": True, "result": result}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def bot_server(tile_server):
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), BotAPI)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    started = start_server(tile_server, {
        "TELEGRAM_BOT_TOKEN": BOT_TOKEN, "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "TELEGRAM_API_URL": f"http://127.0.0.1:{httpd.server_address[1]}",
    })
    yield started
    stop_server(started)
    httpd.shutdown()


def submit(server, city, latitude, longitude, description):
    body = {
        "role": "victim", "date": "2026-11-30", "timeBand": "evening", "latitude": latitude,
        "longitude": longitude, "city": city, "placeType": "street", "kinds": ["verbal"],
        "perpetrator": "stranger", "perpetratorCount": "one", "prevented": False,
        "description": description, "publishConsent": True, "language": "ru",
    }
    request = urllib.request.Request(
        server.url + "/api/v1/reports", data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request) as response:
        return json.load(response)["receipt"]


UPDATE_IDS = itertools.count(880_000)
with open("Resources/Locales/ru.json", encoding="utf-8") as handle:
    RU = json.load(handle)


def deliver(server, update):
    """One update into the webhook, with the secret Telegram sends."""
    update["update_id"] = next(UPDATE_IDS)
    request = urllib.request.Request(
        server.url + "/telegram/webhook", data=json.dumps(update).encode(), method="POST",
        headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET})
    with urllib.request.urlopen(request) as response:
        assert response.status == 200


PERSON = {"id": REPORTER_CHAT, "is_bot": False, "first_name": "Айгерим", "language_code": "ru"}
CHAT = {"id": REPORTER_CHAT, "first_name": "Айгерим", "type": "private"}


def say(server, text):
    message = {"message_id": next(UPDATE_IDS) % 100_000, "from": PERSON, "chat": CHAT, "date": int(time.time()),
               "text": text}
    if text.startswith("/"):
        message["entities"] = [{"offset": 0, "length": len(text), "type": "bot_command"}]
    deliver(server, {"message": message})


def sent_to_reporter(count_before=0):
    with BotAPI.lock:
        return [m for m in BotAPI.sent[count_before:] if m.get("chat_id") == REPORTER_CHAT]


def wait_for_bot(predicate, seconds=20):
    deadline = time.time() + seconds
    while time.time() < deadline:
        found = [m for m in sent_to_reporter() if predicate(m)]
        if found:
            return found[-1]
        time.sleep(0.1)
    raise AssertionError("the bot did not send the expected message: " + json.dumps(sent_to_reporter()[-3:]))


def tap(server, value):
    """Taps the newest button in the reporter's chat whose value is `value`."""
    for message in reversed(sent_to_reporter()):
        for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
            for button in row:
                if button.get("callback_data", "").endswith(":" + value):
                    deliver(server, {"callback_query": {
                        "id": f"cb{next(UPDATE_IDS)}", "from": PERSON, "chat_instance": "-301",
                        "data": button["callback_data"],
                        "message": {"message_id": message["message_id"], "chat": CHAT, "date": int(time.time()),
                                    "text": "?"}}})
                    return
    raise AssertionError(f"no button {value!r} in the reporter's chat")


def queue_rows(driver):
    return driver.find_elements(By.CSS_SELECTOR, "table.queue tbody tr")


def save_public_text(driver, row_text, public_text):
    row = next(r for r in queue_rows(driver) if row_text in r.text)
    row.find_element(By.CSS_SELECTOR, "a[href^='/admin/reports/']").click()
    box = wait(driver).until(EC.presence_of_element_located((By.ID, "publicDescription")))
    box.clear()
    box.send_keys(public_text)
    driver.find_element(By.CSS_SELECTOR, "#publish-form button[formaction$='/save']").click()
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".notice[role=status]"))


def thread_text(driver, server, report_id):
    driver.get(f"{server.url}/admin/reports/{report_id}")
    return driver.find_element(By.ID, "thread-heading").find_element(By.XPATH, "..").text


def test_a_moderators_day(bot_server, browser):
    server = bot_server
    shymkent = [submit(server, "shymkent", 42.315 + i / 1000, 69.59, f"Дневной случай номер {i}: кричали вслед.")
                for i in range(3)]
    submit(server, "almaty", 43.2389, 76.8897, "Алматинский случай, он ждёт другого модератора.")
    taraz = submit(server, "taraz", 42.9, 71.37, "Таразский случай: преследовал до подъезда, не помню номер.")
    assert len(set(shymkent)) == 3

    # Morning: the first administrator's link, a password, and the authenticator app.
    browser.get(server.setup_link)
    browser.find_element(By.ID, "email").send_keys(EMAIL)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    enrol_authenticator(browser, EMAIL)
    wait(browser).until(lambda d: d.current_url.rstrip("/").endswith("/admin"))
    assert len(queue_rows(browser)) == 5

    # The queue narrowed to Shymkent shows its three reports and nothing else.
    Select(browser.find_element(By.ID, "filter-city")).select_by_value("shymkent")
    browser.find_element(By.CSS_SELECTOR, ".queue-filters button[type=submit]").click()
    wait(browser).until(lambda d: "city=shymkent" in d.current_url)
    rows = queue_rows(browser)
    assert len(rows) == 3 and all("Дневной случай" in row.text for row in rows)
    filtered = browser.current_url

    # Each gets a public text written by the moderator, then all three are published at once.
    for i in range(3):
        browser.get(filtered)
        save_public_text(browser, f"номер {i}", f"Вечером на улице незнакомец выкрикивал оскорбления (случай {i}).")
    browser.get(filtered)
    for box in browser.find_elements(By.CSS_SELECTOR, "input[name='ids[]']"):
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", box)
        box.click()
    click(browser, "bulk-publish")
    done = wait(browser).until(EC.presence_of_element_located((By.ID, "bulk-done")))
    assert "3" in done.text
    with urllib.request.urlopen(server.url + "/api/v1/incidents?perPage=100") as response:
        published = [f["properties"]["description"] for f in json.load(response)["features"]]
    assert sorted(published) == sorted(
        f"Вечером на улице незнакомец выкрикивал оскорбления (случай {i})." for i in range(3))
    assert not any("Дневной случай" in text for text in published)

    # The Taraz report needs a detail: the moderator asks.
    browser.get(server.url + "/admin?status=pending&city=taraz")
    queue_rows(browser)[0].find_element(By.CSS_SELECTOR, "a[href^='/admin/reports/']").click()
    report_id = wait(browser).until(lambda d: "/admin/reports/" in d.current_url and d.current_url.rsplit("/", 1)[-1])
    browser.find_element(By.ID, "message-text").send_keys("Вы помните, в каком районе это было?")
    browser.find_element(By.CSS_SELECTOR, "#ask-form button[type=submit]").click()
    wait(browser).until(lambda d: "Вы помните, в каком районе" in d.page_source)

    # The reporter, on her own phone, reads the question on the website and answers.
    reporter = make_driver()
    try:
        reporter.get(server.url + "/check?lang=ru")
        reporter.find_element(By.ID, "code").send_keys(taraz)
        reporter.find_element(By.CSS_SELECTOR, ".check-form button[type=submit]").click()
        wait(reporter).until(lambda d: "Вы помните, в каком районе" in d.page_source)
        reporter.find_element(By.ID, "message-text").send_keys("В микрорайоне Жайлау, у школы.")
        reporter.find_element(By.CSS_SELECTOR, "#answer-form button[type=submit]").click()
        wait(reporter).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".notice[role=status]"))
    finally:
        reporter.quit()
    assert "В микрорайоне Жайлау, у школы." in thread_text(browser, server, report_id)

    # Later she opens the bot, asks to be told when moderators write, and they do.
    say(server, "/check")
    wait_for_bot(lambda m: True)
    say(server, taraz)
    wait_for_bot(lambda m: "Вы помните" in m.get("text", ""))
    tap(server, "notify")
    wait_for_bot(lambda m: RU["bot_notify_explain"][:40] in m.get("text", ""))
    tap(server, "yes")
    wait_for_bot(lambda m: m.get("text") == RU["bot_notify_on"])
    last_id = sent_to_reporter()[-1]["message_id"]
    browser.get(f"{server.url}/admin/reports/{report_id}")
    browser.find_element(By.ID, "message-text").send_keys("Спасибо. А время вы помните?")
    browser.find_element(By.CSS_SELECTOR, "#ask-form button[type=submit]").click()
    wait(browser).until(lambda d: "А время вы помните?" in d.page_source)
    # The notice (found by the menu entry it points to, which no other message's text names).
    notice = wait_for_bot(lambda m: m["message_id"] > last_id and RU["bot_menu_check"] in m.get("text", ""))
    assert not notice.get("reply_markup")
    assert "А время" not in notice["text"], "the notice never carries the moderators' words"

    # She answers in the bot.
    say(server, "/check")
    say(server, taraz)
    wait_for_bot(lambda m: "А время вы помните?" in m.get("text", ""))
    tap(server, "answer")
    say(server, "Около девяти вечера.")
    wait_for_bot(lambda m: m.get("text") == RU["thread_sent"])
    thread = thread_text(browser, server, report_id)
    assert "Около девяти вечера." in thread and "В микрорайоне Жайлау, у школы." in thread
    assert thread.index("Вы помните") < thread.index("Жайлау") < thread.index("А время") < thread.index("Около девяти")

    # The day is in the audit log: the sign-in, three publications, two questions.
    browser.get(server.url + "/admin/audit")
    audit = browser.find_element(By.TAG_NAME, "main").text
    assert audit.count("publish") >= 3 and audit.count("message") >= 2
    # Nothing the reporter's chat sent reached the server's log.
    assert str(REPORTER_CHAT) not in server.log_text() and "Айгерим" not in server.log_text()
