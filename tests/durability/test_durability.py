"""Durability proof (SPEC rule 3): reports are submitted concurrently while the server is
killed with SIGKILL again and again; afterwards every acknowledged receipt must be found and
the database must pass its integrity check. Runs on SQLite and, when the test script provides
one, on PostgreSQL."""

import base64
import http.client
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("DAUYS_BINARY", os.path.join(ROOT, ".build/debug/dauys"))
SUBMISSIONS = int(os.environ.get("DAUYS_DURABILITY_SUBMISSIONS", "1000"))
KILLS = int(os.environ.get("DAUYS_DURABILITY_KILLS", "20"))
WORKERS = 24


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def report(n):
    return {
        "role": "victim" if n % 3 else "witness",
        "date": "2025-05-%02d" % (1 + n % 28),
        "timeBand": ["morning", "afternoon", "evening", "night"][n % 4],
        "latitude": 43.2 + (n % 100) / 1000,
        "longitude": 76.85 + (n % 70) / 1000,
        "city": "almaty",
        "placeType": "street",
        "kinds": ["verbal"],
        "perpetrator": "stranger",
        "perpetratorCount": "one",
        "prevented": False,
        "description": f"Проверка надёжности, сообщение номер {n}: выкрики вслед у остановки.",
        "publishConsent": True,
        "language": "ru",
    }


class Server:
    """The real binary, started, killed with SIGKILL and started again."""

    def __init__(self, env):
        self.env = env
        self.port = free_port()
        self.process = None
        self.lock = threading.Lock()
        self.log = open(os.path.join(env["DAUYS_DATA_DIR"], "server.log"), "ab")

    def start(self):
        self.process = subprocess.Popen(
            [BINARY, "serve", "--hostname", "127.0.0.1", "--port", str(self.port)],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("server did not come back")

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


def post(port, path, body, method="POST"):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(method, path, json.dumps(body), {"Content-Type": "application/json"})
    response = conn.getresponse()
    return response.status, response.read()


def hammer(server):
    """Submits until enough reports are acknowledged while another thread keeps killing."""
    acknowledged = []
    ack_lock = threading.Lock()
    attempts = [0]
    done = threading.Event()
    kills = [0]

    def killer():
        while not done.is_set() or kills[0] < KILLS:
            time.sleep(random.uniform(0.3, 1.5))
            with server.lock:
                server.kill()
                kills[0] += 1
                server.start()
            if kills[0] >= KILLS and done.is_set():
                break

    def worker(n):
        while True:
            with ack_lock:
                if len(acknowledged) >= SUBMISSIONS and kills[0] >= KILLS:
                    return
                attempts[0] += 1
            try:
                status, body = post(server.port, "/api/v1/reports", report(n))
            except (OSError, http.client.HTTPException):
                time.sleep(0.05)
                continue  # the server died mid-request: nothing was promised
            if status == 201:
                with ack_lock:
                    acknowledged.append(json.loads(body)["receipt"])
            else:
                assert status != 500, body

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(worker, range(WORKERS)))
    done.set()
    thread.join(timeout=120)
    return acknowledged, kills[0], attempts[0]


def check_receipts(server, receipts):
    def found(code):
        status, _ = post(server.port, "/api/v1/receipt", {"code": code})
        return code if status != 200 else None
    with ThreadPoolExecutor(4) as pool:
        missing = [c for c in pool.map(found, receipts) if c]
    assert missing == [], f"{len(missing)} acknowledged reports were lost, e.g. {missing[:3]}"


def environment(database_url=None):
    env = dict(os.environ)
    env.update(
        DAUYS_DATA_DIR=tempfile.mkdtemp(prefix="dauys-durability-"),
        DAUYS_RATE_LIMITS="off",
        LOG_LEVEL="warning",
        DAUYS_SECRET=base64.b64encode(os.urandom(32)).decode(),
        DAUYS_TILE_URL="http://127.0.0.1:9/{z}/{x}/{y}.png",
    )
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def run_proof(env):
    server = Server(env)
    server.start()
    try:
        receipts, kills, attempts = hammer(server)
        assert kills >= KILLS
        assert len(receipts) >= SUBMISSIONS
        assert len(set(receipts)) == len(receipts)
        server.kill()  # one last crash, then a clean start
        server.start()
        check_receipts(server, receipts)
        print(f"{len(receipts)} acknowledged of {attempts} attempts, {kills} kills, all found")
    finally:
        server.stop()


def test_sqlite_loses_nothing_acknowledged_across_kills():
    env = environment()
    run_proof(env)
    path = os.path.join(env["DAUYS_DATA_DIR"], "dauys.sqlite")
    connection = sqlite3.connect(path)
    assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    connection.close()


@pytest.mark.skipif(not os.environ.get("DAUYS_DURABILITY_DATABASE_URL"), reason="no PostgreSQL server given")
def test_postgres_loses_nothing_acknowledged_across_kills():
    url = os.environ["DAUYS_DURABILITY_DATABASE_URL"]
    run_proof(environment(url))
    check = os.environ.get("DAUYS_DURABILITY_AMCHECK")
    if check:
        # pg_amcheck verifies every table and index of the database.
        subprocess.run(check, shell=True, check=True)
