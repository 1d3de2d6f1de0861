"""Issue #14: a server told to stop (SIGTERM) stops within 10 seconds whatever it is doing —
talking to a Bot API that has stopped answering, fetching a map tile from an upstream that
hangs, or holding a half-sent request from a slow client."""

import json
import signal
import socket
import threading
import time
import urllib.request

from conftest import start_server, stop_server

BOT_TOKEN = "123456789:STOPPING-test-token-abcdefgh"
WEBHOOK_SECRET = "stopping-test-webhook-secret-0123"


class Blackhole:
    """Accepts connections and never answers: an upstream that has gone quiet."""

    def __init__(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.held = []
        self.accepted = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.held.append(connection)
            self.accepted.set()

    def close(self):
        for connection in self.held:
            connection.close()
        self.listener.close()


def deliver(server, chat, update_id):
    update = {"update_id": update_id, "message": {
        "message_id": update_id, "date": int(time.time()), "text": "/start",
        "from": {"id": chat, "is_bot": False, "first_name": "A", "language_code": "ru"},
        "chat": {"id": chat, "first_name": "A", "type": "private"},
        "entities": [{"offset": 0, "length": 6, "type": "bot_command"}]}}
    request = urllib.request.Request(
        server.url + "/telegram/webhook", data=json.dumps(update).encode(), method="POST",
        headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def test_sigterm_stops_the_server_within_ten_seconds_whatever_it_is_doing():
    bot_api, tiles = Blackhole(), Blackhole()
    server = start_server(f"http://127.0.0.1:{tiles.port}", {
        "TELEGRAM_BOT_TOKEN": BOT_TOKEN, "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "TELEGRAM_API_URL": f"http://127.0.0.1:{bot_api.port}",
    })
    slow_client = None
    try:
        # Conversations in several chats, each waiting on a Bot API that does not answer.
        for n in range(6):
            deliver(server, 6_300_000_000 + n % 3, 990_000 + n)
        assert bot_api.accepted.wait(10), "the bot never called the Bot API"

        # A visitor's map tile, waiting on an upstream that does not answer.
        def fetch_tile():
            try:
                urllib.request.urlopen(server.url + "/tiles/5/22/11.png", timeout=30).read()
            except Exception:
                pass
        threading.Thread(target=fetch_tile, daemon=True).start()
        assert tiles.accepted.wait(10), "the tile proxy never called the upstream"

        # A client that sent half a request and went quiet.
        host, port = server.url.removeprefix("http://").split(":")
        slow_client = socket.create_connection((host, int(port)))
        slow_client.sendall(b"POST /api/v1/reports HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n{\"role\"")
        time.sleep(0.5)

        started = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=10)
        except Exception:
            server.process.kill()
            raise AssertionError("the server was still running 10 seconds after SIGTERM:\n" + server.log_text()[-3000:])
        took = time.monotonic() - started
        assert took < 10, took
        assert server.process.returncode == 0, server.log_text()[-3000:]
    finally:
        if slow_client:
            slow_client.close()
        if server.process.poll() is None:
            server.process.kill()
            server.process.wait()
        bot_api.close()
        tiles.close()
        stop_server(server)
