#!/usr/bin/env python3
"""The moderator's side of scripts/bench.sh (issue #22); the standard library only.

    bench-mixed.py collect  BASE TOKEN STATE        the pending reports, through the admin API
    bench-mixed.py publish  BASE TOKEN STATE RATE   publishes at RATE a second until SIGTERM
    bench-mixed.py one      BASE TOKEN STATE        publishes one report (a change)
    bench-mixed.py probe    BASE TOKEN STATE DB TRIALS [BASE2]
                                                    the staleness probe, as a Markdown table

STATE is a folder: `pending.jsonl` (what `collect` found) and `used.txt` (what was published).
Every publication goes through `POST /api/v1/admin/reports/{id}/publish` with the public text
the API proposes, as a moderator's program would. The probe compares what each public view
shows right after a publication with what the database holds then (read-only, SQLite).
"""

import concurrent.futures
import json
import math
import os
import re
import signal
import sqlite3
import sys
import threading
import time
import urllib.error
import urllib.request

# Kazakhstan's box, as bench.sh measures the country's map view.
COUNTRY = (46.4, 40.5, 87.4, 55.5)
HIDING_RELATIONS = {"relative", "partner", "neighbour"}


def request(url, token=None, body=None, headers=None, timeout=60):
    """(status, body bytes, seconds)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method="POST" if body is not None else "GET")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    if body is not None:
        req.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        req.add_header(name, value)
    start = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as answer:
            return answer.status, answer.read(), time.monotonic() - start
    except urllib.error.HTTPError as error:
        return error.code, error.read(), time.monotonic() - start


# MARK: the pool of pending reports


class Pool:
    """Pending reports not yet published, shared by every run through STATE (one at a time)."""

    def __init__(self, state):
        self.state = state
        self.lock = threading.Lock()
        with open(os.path.join(state, "pending.jsonl")) as file:
            self.reports = [json.loads(line) for line in file if line.strip()]
        used_path = os.path.join(state, "used.txt")
        used = set()
        if os.path.exists(used_path):
            with open(used_path) as file:
                used = {line.strip() for line in file}
        self.free = [report for report in self.reports if report["id"] not in used]
        self.used_file = open(used_path, "a")

    def take(self, where=lambda report: True):
        with self.lock:
            for index, report in enumerate(self.free):
                if where(report):
                    del self.free[index]
                    self.used_file.write(report["id"] + "\n")
                    self.used_file.flush()
                    return report
        return None


def publish(base, token, report):
    """(status, the report as the API answers it or None, seconds)."""
    status, body, seconds = request(
        f"{base}/api/v1/admin/reports/{report['id']}/publish", token, {"publicDescription": report["text"]})
    answer = json.loads(body) if status == 200 else None
    return status, answer, seconds


def collect(base, token, state):
    os.makedirs(state, exist_ok=True)
    found, page = [], 1
    while True:
        status, body, _ = request(f"{base}/api/v1/admin/reports?status=pending&page={page}", token)
        if status != 200:
            sys.exit(f"GET /api/v1/admin/reports answered {status}: {body[:300]!r}")
        answer = json.loads(body)
        for report in answer["reports"]:
            found.append({
                "id": report["id"], "city": report["city"], "text": report["proposedPublicDescription"],
                # Report.mayHavePin: the public point is made only for these.
                "pin": report["placeType"] != "residential"
                and report.get("perpetratorRelation") not in HIDING_RELATIONS and report["publishConsent"],
            })
        if page * answer["pageSize"] >= answer["total"] or not answer["reports"]:
            break
        page += 1
    with open(os.path.join(state, "pending.jsonl"), "w") as file:
        for report in found:
            file.write(json.dumps(report) + "\n")
    print(len(found))


def publish_at_rate(base, token, state, rate):
    """Publishes on a fixed schedule (a few in flight at most) until SIGTERM; prints a summary."""
    pool = Pool(state)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    results, lock = [], threading.Lock()

    def one():
        report = pool.take()
        if report is None:
            with lock:
                results.append(("empty", 0.0))
            return
        status, _, seconds = publish(base, token, report)
        with lock:
            results.append((status, seconds))

    executor = concurrent.futures.ThreadPoolExecutor(max_workers=8)
    start = time.monotonic()
    due, skipped = 0, 0
    while not stop.is_set():
        next_time = start + due / rate
        wait = next_time - time.monotonic()
        if wait > 0:
            stop.wait(wait)
            if stop.is_set():
                break
        # Eight publications still in flight: the server is that far behind; drop this one.
        if executor._work_queue.qsize() > 8:
            skipped += 1
        else:
            executor.submit(one)
        due += 1
    executor.shutdown(wait=True)
    elapsed = time.monotonic() - start
    done = [seconds for status, seconds in results if status == 200]
    failed = [status for status, _ in results if status != 200]
    done.sort()

    def quantile(q):
        return round(done[min(len(done) - 1, int(q * len(done)))] * 1000) if done else 0

    achieved = len(done) / elapsed if elapsed > 0 else 0
    print(
        f"- publishing at {rate:g}/s: {len(done)} published in {elapsed:.1f} s = **{achieved:.2f}/s** achieved; "
        f"each publication p50 {quantile(0.5)} ms, p99 {quantile(0.99)} ms, max {quantile(1)} ms; "
        f"failed {len(failed)}" + (f" ({', '.join(sorted({str(s) for s in failed}))})" if failed else "")
        + (f"; {skipped} not sent (8 waiting already)" if skipped else ""))


def publish_one(base, token, state):
    report = Pool(state).take()
    if report is None:
        sys.exit("no pending report left to publish")
    status, _, _ = publish(base, token, report)
    if status != 200:
        sys.exit(f"publishing {report['id']} answered {status}")


# MARK: the staleness probe


def grouped(n):
    """A statistics total as Disclosure.groupedTotal shows it: whole tens, None below 10."""
    return None if n < 10 else n // 10 * 10


def nearest_five(n):
    """A density cell's count as PublicCount(exact:) shows it: None for 1 to 4."""
    if n <= 0:
        return 0
    if n < 5:
        return None
    return int(math.floor(n / 5 + 0.5)) * 5


def box_around(lat, lon, half_lat, half_lon):
    return (lon - half_lon, lat - half_lat, lon + half_lon, lat + half_lat)


def box_text(box):
    return ",".join(f"{value:.6f}" for value in box)


class Oracle:
    """What the views must show, counted in the database (read-only)."""

    def __init__(self, path):
        self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)

    def count(self, where, args=()):
        return self.db.execute(
            "SELECT COUNT(*) FROM reports WHERE status = 'published' AND " + where, args).fetchone()[0]

    def pins(self, box=None):
        if box is None:
            return self.count("public_latitude IS NOT NULL")
        west, south, east, north = box
        return self.count(
            "public_latitude >= ? AND public_latitude <= ? AND public_longitude >= ? AND public_longitude <= ?",
            (south, north, west, east))

    def pins_in_cell(self, cell):
        return self.count(
            "public_latitude >= ? AND public_latitude < ? AND public_longitude >= ? AND public_longitude < ?",
            (cell["south"], cell["north"], cell["west"], cell["east"]))

    def city(self, slug):
        return self.count("city = ?", (slug,))


def locale_text(key):
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "..", "Resources", "Locales", "en.json")) as file:
        return json.load(file)[key]


def read_views(base, point, city):
    """Every public view's figure for this report's place and city, read at once."""
    lat, lon = point
    tiny = box_around(lat, lon, 0.0004, 0.0004)  # only this public point (they are 250 m apart)
    area = box_around(lat, lon, 0.05, 0.05)  # holds the point's whole 1 km density cell
    english = {"Accept-Language": "en"}
    shown = {}

    def get_json(path):
        status, body, _ = request(base + path)
        return json.loads(body) if status == 200 else None

    view = get_json(f"/api/v1/incidents/clusters?zoom=5&bbox={box_text(COUNTRY)}")
    shown["clusters5"] = view and view["total"]
    view = get_json(f"/api/v1/incidents/clusters?zoom=12&bbox={box_text(tiny)}")
    # Only a view of pins counts exactly the box; a dense point would show clusters instead.
    shown["clusters12"] = view and (view["total"] if not view["clusters"] else "clusters")
    view = get_json(f"/api/v1/incidents?perPage=1&bbox={box_text(tiny)}")
    shown["incidents"] = view and view["total"]
    density = get_json(f"/api/v1/incidents/density?bbox={box_text(area)}")
    shown["density_cells"] = density and density["cells"]
    shown["density_city"] = density and next(
        (figure["total"]["count"] for figure in density["cities"] if figure["city"] == city), None)
    view = get_json(f"/api/v1/stats?city={city}")
    shown["stats"] = view and view["total"]["count"]
    status, body, _ = request(f"{base}/stats?city={city}", headers=english)
    match = re.search(r'stats-total">[^<]*<strong>([^<]*)</strong>', body.decode())
    shown["stats_page"] = (int(match.group(1)) if match.group(1).isdigit() else None) if match else "?"
    status, body, _ = request(base + "/", headers=english)
    match = re.search(re.escape(locale_text("latest_total")) + r"\s*(\d+)", body.decode())
    shown["home"] = int(match.group(1)) if match else "?"
    return shown


def cell_containing(cells, lat, lon):
    for cell in cells or []:
        if cell["south"] <= lat < cell["north"] and cell["west"] <= lon < cell["east"]:
            return cell
    return None


VIEWS = [
    ("clusters5", "clusters, the country at zoom 5", "`total` = every pin"),
    ("clusters12", "clusters at zoom 12, the report's point", "`total` = pins at that point (trials it shows pins)"),
    ("incidents", "`GET /incidents`, a box around it", "`total` = pins in the box"),
    ("density_cell", "density, the report's 1 km cell", "count = the cell's pins to the nearest 5"),
    ("density_city", "density, the report's city", "total = the city's reports in whole tens"),
    ("stats", "`/api/v1/stats?city=`", "total = the city's reports in whole tens"),
    ("stats_page", "`/stats?city=` (page)", "total = the city's reports in whole tens"),
    ("home", "home page `/`", "\"Reports matching the filters\" = every pin"),
]


def expected(oracle, point, city):
    """What the database holds now, as each view must show it (the density cell apart)."""
    lat, lon = point
    truth = {
        "clusters5": oracle.pins(COUNTRY),
        "clusters12": oracle.pins(box_around(lat, lon, 0.0004, 0.0004)),
        "home": oracle.pins(),
        "density_city": grouped(oracle.city(city)),
    }
    truth["incidents"] = truth["clusters12"]
    truth["stats"] = truth["stats_page"] = truth["density_city"]
    return truth


def judge(oracle, shown, truth, point):
    """(verdicts, the truth with the density cell the view drew)."""
    truth = dict(truth)
    cell = cell_containing(shown["density_cells"], *point)
    truth["density_cell"] = nearest_five(oracle.pins_in_cell(cell)) if cell else "a cell"
    return compare(shown, truth, point), truth


def compare(shown, truth, point):
    """{view: True if stale, False if right, None if this trial cannot tell}."""
    verdict = {}
    for key, _, _ in VIEWS:
        if key == "density_cell":
            cell = cell_containing(shown["density_cells"], *point)
            verdict[key] = True if cell is None else (cell["count"].get("count") != truth[key])
        elif shown[key] == "clusters":
            verdict[key] = None
        else:
            verdict[key] = shown[key] != truth[key]
    return verdict


def probe(base, token, state, db, trials, second=None):
    pool = Pool(state)
    oracle = Oracle(db)
    candidates = [report for report in pool.free if report["pin"]]
    by_city = {}
    for report in candidates:
        by_city.setdefault(report["city"], []).append(report)
    # The city with the fewest published reports among those with enough candidates: its
    # points hold the fewest pins, so the zoom-12 view of one point shows pins, not clusters.
    enough = [city for city, reports in by_city.items() if len(reports) >= trials] or list(by_city)
    if not enough:
        sys.exit("no pending report with a pin left for the probe")
    city = min(enough, key=oracle.city)
    stale = {key: 0 for key, _, _ in VIEWS}
    had_to_change = {key: 0 for key, _, _ in VIEWS}
    checked = {key: 0 for key, _, _ in VIEWS}
    second_now = {key: 0 for key, _, _ in VIEWS}
    second_later = {key: 0 for key, _, _ in VIEWS}
    details, done = [], 0
    for trial in range(trials):
        report = pool.take(lambda r: r["pin"] and r["city"] == city) or pool.take(lambda r: r["pin"])
        if report is None:
            break
        status, answer, _ = publish(base, token, report)
        if status != 200 or answer is None or answer.get("publicLatitude") is None:
            details.append(f"trial {trial + 1}: publishing answered {status} (or gave no pin); skipped")
            continue
        published_at = time.monotonic()
        point = (answer["publicLatitude"], answer["publicLongitude"])
        here = read_views(base, point, report["city"])
        there = later = None
        if second:
            there = read_views(second, point, report["city"])
            time.sleep(max(0.0, published_at + 2.0 - time.monotonic()))
            later = read_views(second, point, report["city"])
        # Nothing else changes the published set while the probe runs: the database now is what
        # every view had to show, and one pin fewer at the point, one report fewer in the city,
        # what it showed before.
        truth = expected(oracle, point, report["city"])
        verdict, truth_here = judge(oracle, here, truth, point)
        lat, lon = point
        before = {
            "clusters5": truth["clusters5"] - 1, "clusters12": truth["clusters12"] - 1, "home": truth["home"] - 1,
            "density_city": grouped(oracle.city(report["city"]) - 1),
        }
        before["incidents"] = before["clusters12"]
        before["stats"] = before["stats_page"] = before["density_city"]
        cell = cell_containing(here["density_cells"], lat, lon)
        before["density_cell"] = nearest_five(oracle.pins_in_cell(cell) - 1) if cell else None
        for key, _, _ in VIEWS:
            if verdict[key] is None:
                continue
            checked[key] += 1
            stale[key] += verdict[key]
            had_to_change[key] += before[key] != truth_here[key]
            if verdict[key]:
                details.append(
                    f"trial {trial + 1}: {key} showed {here[key] if key != 'density_cell' else cell and cell['count']}"
                    f", the database {truth_here[key]}")
        if second:
            for key, value in judge(oracle, there, truth, point)[0].items():
                second_now[key] += bool(value)
            for key, value in judge(oracle, later, truth, point)[0].items():
                second_later[key] += bool(value)
        done += 1

    print(f"{done} publications in {city if done else '-'} (pins only), each followed at once by a read of every view.")
    print()
    header = "| view | what must hold | stale reads | trials the figure had to move |"
    rule = "|---|---|---|---|"
    if second:
        header += " second process, at once | second process, 2 s later |"
        rule += "---|---|"
    print(header)
    print(rule)
    for key, label, what in VIEWS:
        cells = [label, what, f"{stale[key]} of {checked[key]}", str(had_to_change[key])]
        if second:
            cells += [f"{second_now[key]} of {done}", f"{second_later[key]} of {done}"]
        print("| " + " | ".join(cells) + " |")
    if details:
        print()
        for line in details[:20]:
            print(f"- {line}")


def main():
    command, *args = sys.argv[1:] or ["help"]
    if command == "collect":
        collect(*args[:3])
    elif command == "publish":
        publish_at_rate(args[0], args[1], args[2], float(args[3]))
    elif command == "one":
        publish_one(*args[:3])
    elif command == "probe":
        probe(args[0], args[1], args[2], args[3], int(args[4]), args[5] if len(args) > 5 else None)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
