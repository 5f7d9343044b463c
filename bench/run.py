"""make bench: the app served by gunicorn (2 workers) with its task worker, at several sizes.

PostgreSQL at 1,000, 10,000 and 100,000 synthetic work-ups (databases ``perf_bench_<size>`` on the
server of BENCH_PG_URL) and SQLite at the first two. Each database is seeded (timed), ANALYZEd,
then served at once; requests go to the sizes in turn, request by request, so that a busy moment
of the machine falls on every size alike. Printed and written to bench-results/bench.json:

- median and p95 per page and size, queries per page (counted in-process, bench/query_counts.py),
  growth from the middle to the largest size, and each page over /healthz at the same size;
- PDFs apart: a miss (the first request for a work-up whose PDF nobody asked for and the worker
  did not render) and a hit (served again); after signing: how long until the worker had the
  PDFs ready, then the first request for the PDF against the same work-up's HTML summary;
- the full CSV export: rows, seconds, microseconds a row, rows a second;
- memory (resident set) of the gunicorn workers and of the task worker, before and after.

Figures, not pass/fail: docs/performance.md keeps the last run with the machine it ran on.
Usage: python bench/run.py [--sizes 1000 10000 100000] [--sqlite-sizes 1000 10000] [--rounds 20]
[--reuse] (keep a database already seeded to the size).
"""

from __future__ import annotations

import argparse
import contextlib
import html
import http.client
import http.cookiejar
import json
import os
import platform
import re
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench-results"
PYTHON = sys.executable
PASSWORD = "bench-password-2026"
FIRST_PORT = 18765

# (name, who, path template). {workup} is the median work-up, {signed} a signed one; {me} the
# signed-in user's id.
PAGES = [
    ("/healthz", "clinician", "/healthz"),
    ("home", "clinician", "/"),
    ("home (lead)", "lead", "/"),
    ("home (coordinator: to the queue)", "coordinator", "/"),
    ("patients list", "clinician", "/patients/"),
    ("patients, search by name", "clinician", "/patients/?q=Ada"),
    ("patients, search by MRN", "clinician", "/patients/?q=000042"),
    ("work-up page", "clinician", "/workups/{workup}/"),
    ("coordinator queue", "coordinator", "/coordinator/"),
    ("queue, mine and overdue", "coordinator", "/coordinator/?assignee=me&overdue=on"),
    ("queue, one step", "coordinator", "/coordinator/?step=hysteroscopy"),
    ("my queue (clinician)", "clinician", "/my-queue/"),
    ("audit trail", "lead", "/audit/"),
    ("quality dashboard", "lead", "/quality/"),
    ("quality, one clinician", "lead", "/quality/?clinician={clinician}"),
    ("signed work-up page", "clinician", "/workups/{signed}/"),
    ("summary (HTML)", "clinician", "/workups/{workup}/summary/"),
    ("summary PDF, hit", "clinician", "/workups/{workup}/summary.pdf"),
    ("api assess", "clinician", "POST /api/assess"),
]

ASSESS_BODY = json.dumps(
    {
        "age": 38,
        "failed_transfers": 3,
        "amh": {"value": 0.8, "unit": "ng/mL"},
        "afc": 4,
        "previous_oocytes": [3, 2],
        "hysteroscopy": {"done": True, "polyp": True},
        "ce_biopsy": {"done": True, "cd138_positive": True},
        "addons_requested": ["intralipids", "ivig"],
    }
).encode()


@dataclass
class Target:
    engine: str
    size: int
    url: str  # DATABASE_URL
    port: int
    env: dict = field(default_factory=dict)
    seed_seconds: float | None = None
    seed_cpu_seconds: float | None = None
    processes: list = field(default_factory=list)
    sessions: dict = field(default_factory=dict)
    sample: dict = field(default_factory=dict)
    results: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.engine} {self.size:,}"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def env_for(database_url: str) -> dict:
    env = dict(os.environ)
    env.pop("REDIS_URL", None)
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_HTTPS="0",
        DJANGO_SECRET_KEY="bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        DATABASE_URL=database_url,
        DJANGO_ENV_FILE="/nonexistent",
        DJANGO_LOG_LEVEL="WARNING",
        DJANGO_LOGIN_FAILURE_LIMIT="100000",
        TASKS_BACKEND="db",
        CACHE_URL="db://workup_cache",
    )
    return env


def manage(env, *args, capture=False):
    return subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=capture,
        text=True,
    )


def shell(env, code: str) -> str:
    out = manage(env, "shell", "--no-imports", "-c", code, capture=True).stdout
    return out.strip().splitlines()[-1]


def pg_admin(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def database_url(engine: str, size: int, pg_url: str) -> str:
    if engine == "sqlite":
        return f"sqlite:///{RESULTS / f'bench-{size}.sqlite3'}"
    parts = urllib.parse.urlsplit(pg_url)
    return urllib.parse.urlunsplit(parts._replace(path=f"/perf_bench_{size}"))


def workups_in(env) -> int:
    try:
        return int(
            shell(env, "from workup.clinic.models import WorkUp; print(WorkUp.objects.count())")
        )
    except subprocess.CalledProcessError:
        return -1


def prepare(target: Target, pg_url: str, reuse: bool) -> None:
    env = target.env = env_for(target.url)
    if not (reuse and workups_in(env) == target.size):
        if target.engine == "sqlite":
            for stale in RESULTS.glob(f"bench-{target.size}.sqlite3*"):
                stale.unlink()
        else:
            pg_admin(pg_url, f"DROP DATABASE IF EXISTS perf_bench_{target.size} WITH (FORCE)")
            pg_admin(pg_url, f"CREATE DATABASE perf_bench_{target.size}")
        manage(env, "migrate", "--noinput", "-v0")
        before = os.times()
        started = time.perf_counter()
        manage(
            env, "seed_demo", "--workups", str(target.size), "--password", PASSWORD, capture=True
        )
        after = os.times()
        target.seed_seconds = round(time.perf_counter() - started, 1)
        target.seed_cpu_seconds = round(
            (after.children_user - before.children_user)
            + (after.children_system - before.children_system),
            1,
        )
        print(
            f"{target.label}: seeded in {target.seed_seconds} s "
            f"({target.seed_cpu_seconds} s of CPU in Python)",
            flush=True,
        )
    else:
        manage(env, "migrate", "--noinput", "-v0")
        # The demo users get the bench's password (a top-up to the same size creates nothing).
        manage(
            env, "seed_demo", "--workups", str(target.size), "--password", PASSWORD, capture=True
        )
        print(f"{target.label}: reused", flush=True)
    manage(env, "createcachetable")
    shell(
        env,
        "from django.contrib.auth import get_user_model as g; U = g(); "
        "U.objects.filter(username='benchadmin').exists() or "
        f"U.objects.create_superuser('benchadmin', 'b@example.org', '{PASSWORD}'); print('ok')",
    )
    # Fresh statistics, as a database that has been running a while has them.
    shell(env, "from django.db import connection; connection.cursor().execute('ANALYZE'); print(1)")
    target.sample = json.loads(
        shell(
            env,
            "import json; from workup.clinic.models import WorkUp; "
            "from workup.documents.models import RenderedPdf; "
            "RenderedPdf.objects.all().delete(); "
            "ids = list(WorkUp.objects.order_by('pk').values_list('pk', flat=True)); "
            "mid = ids[len(ids) // 2]; "
            "open_ = list(WorkUp.objects.filter(status='open', pk__gt=mid)"
            ".order_by('pk').values_list('pk', 'version')[:40]); "
            "signed = WorkUp.objects.filter(status='signed', pk__gt=mid).order_by('pk')"
            ".values_list('pk', flat=True).first(); "
            "from django.contrib.auth import get_user_model as g; "
            "clinician = g().objects.get(username='clinician').pk; "
            "print(json.dumps({'workup': mid, 'open': open_, 'signed': signed, "
            "'clinician': clinician}))",
        )
    )


def serve(target: Target) -> None:
    gunicorn = Path(PYTHON).with_name("gunicorn")
    env = {**target.env, "GUNICORN_BIND": f"127.0.0.1:{target.port}", "GUNICORN_WORKERS": "2"}
    logs = RESULTS / f"{target.engine}-{target.size}"
    target.processes = [
        subprocess.Popen(
            [str(gunicorn), "-c", "gunicorn.conf.py", "workup.wsgi"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(f"{logs}-gunicorn.log", "w"),  # noqa: SIM115
        ),
        subprocess.Popen(
            [PYTHON, "manage.py", "worker"],
            cwd=ROOT,
            env=target.env,
            stdout=subprocess.DEVNULL,
            stderr=open(f"{logs}-worker.log", "w"),  # noqa: SIM115
        ),
    ]
    for _ in range(300):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", target.port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not start for {target.label}")


class Session:
    """A signed-in browser, with cookies, over plain HTTP on the loopback."""

    def __init__(self, base: str, username: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.opener.open(f"{base}/accounts/login/").read()
        body = urllib.parse.urlencode(
            {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": self.csrf()}
        ).encode()
        response = self.opener.open(f"{base}/accounts/login/", body)
        if "/accounts/login/" in response.geturl():
            raise RuntimeError(f"login failed for {username}")

    def csrf(self) -> str:
        return next(c.value for c in self.jar if c.name == "csrftoken")

    def request(self, path: str, form: dict | None = None) -> tuple[int, float, bytes]:
        method, _, path = path.rpartition(" ")
        data, headers = None, {}
        if method == "POST" and form is None:
            data, headers = ASSESS_BODY, {"Content-Type": "application/json"}
        elif form is not None:
            form = {**form, "csrfmiddlewaretoken": self.csrf()}
            data = urllib.parse.urlencode(form).encode()
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if data is not None:
            headers.update({"X-CSRFToken": self.csrf(), "Referer": self.base + "/"})
        request = urllib.request.Request(f"{self.base}{path}", data=data, headers=headers)
        started = time.perf_counter()
        try:
            with self.opener.open(request) as response:
                body = response.read()
                status = response.status
        except urllib.error.HTTPError as error:
            body, status = error.read(), error.code
        return status, (time.perf_counter() - started) * 1000, body


def resident_mb(pid: int) -> float:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    return int(re.search(r"VmRSS:\s+(\d+)", text).group(1)) / 1024


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def memory(target: Target) -> dict:
    gunicorn, worker = target.processes
    return {
        "gunicorn_workers_mb": [round(resident_mb(p), 1) for p in children(gunicorn.pid)],
        "task_worker_mb": round(resident_mb(worker.pid), 1),
    }


def pending_tasks(target: Target) -> int:
    sql = (
        "SELECT COUNT(*) FROM django_tasks_database_dbtaskresult "
        "WHERE status IN ('READY', 'RUNNING')"
    )
    if target.engine == "sqlite":
        path = target.url.removeprefix("sqlite:///")
        with sqlite3.connect(path, timeout=20) as conn:
            return conn.execute(sql).fetchone()[0]
    import psycopg

    with psycopg.connect(target.url) as conn:
        return conn.execute(sql).fetchone()[0]


def stats(timings: list[float]) -> dict:
    ordered = sorted(timings)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"median_ms": round(statistics.median(ordered), 1), "p95_ms": round(p95, 1)}


def page_path(template: str, target: Target) -> str:
    sample = target.sample
    return template.format(
        workup=sample["workup"], signed=sample["signed"], clinician=sample["clinician"]
    )


def run_pages(targets: list[Target], rounds: int) -> None:
    for target in targets:
        for _page, who, template in PAGES:
            session = target.sessions[who]
            path = page_path(template, target)
            for _ in range(2):  # warm-up: a fresh worker's first requests are not the page's
                session.request(path)
    timings = {(t.label, p[0]): [] for t in targets for p in PAGES}
    statuses = {key: set() for key in timings}
    for _ in range(rounds):
        for page, who, template in PAGES:
            for target in targets:  # sizes interleaved, request by request
                path = page_path(template, target)
                status, ms, _ = target.sessions[who].request(path)
                timings[(target.label, page)].append(ms)
                statuses[(target.label, page)].add(status)
    for target in targets:
        for page, *_ in PAGES:
            row = stats(timings[(target.label, page)])
            row["status"] = sorted(statuses[(target.label, page)])
            target.results.setdefault("pages", {})[page] = row


def run_pdf_misses(targets: list[Target], count: int) -> None:
    """A PDF nobody asked for and the worker did not render (work-ups seeded, not changed)."""
    timings = {t.label: [] for t in targets}
    for i in range(count):
        for target in targets:
            workup = target.sample["open"][i][0]
            status, ms, body = target.sessions["clinician"].request(
                f"/workups/{workup}/summary.pdf"
            )
            assert status == 200 and body.startswith(b"%PDF-"), (target.label, status)
            timings[target.label].append(ms)
    for target in targets:
        target.results["pdf_miss"] = stats(timings[target.label])


HIDDEN_SIGN_FIELD = re.compile(
    r'<input type="hidden" name="(sign-[a-z_]+)" value="([^"]*)"', re.IGNORECASE
)


def sign_form(session: Session, workup: int) -> dict:
    """The sign-off form as the work-up page draws it (its version and the fingerprint of what
    it showed), with the box ticked."""
    _, _, page = session.request(f"/workups/{workup}/")
    fields = {
        name: html.unescape(value) for name, value in HIDDEN_SIGN_FIELD.findall(page.decode())
    }
    return {**fields, "sign-confirm": "on"}


def run_signing(targets: list[Target], count: int, offset: int) -> None:
    """Sign a work-up, wait until the worker has its PDFs ready, then ask for the PDF once."""
    rows = {t.label: {"sign": [], "ready": [], "pdf": [], "html": []} for t in targets}
    for i in range(count):
        for target in targets:
            workup, _version = target.sample["open"][offset + i]
            session = target.sessions["clinician"]
            form = sign_form(session, workup)
            status, ms, body = session.request(f"/workups/{workup}/sign/", form)
            assert b"Work-up signed" in body, (target.label, workup, status)
            rows[target.label]["sign"].append(ms)
            started = time.perf_counter()
            while pending_tasks(target) and time.perf_counter() - started < 60:
                time.sleep(0.02)
            rows[target.label]["ready"].append((time.perf_counter() - started) * 1000)
            _, pdf_ms, body = session.request(f"/workups/{workup}/summary.pdf")
            assert body.startswith(b"%PDF-")
            _, html_ms, _ = session.request(f"/workups/{workup}/summary/")
            rows[target.label]["pdf"].append(pdf_ms)
            rows[target.label]["html"].append(html_ms)
    for target in targets:
        found = rows[target.label]
        target.results["signing"] = {
            "sign_request": stats(found["sign"]),
            "ready_after_sign": stats(found["ready"]),
            "first_pdf_request": stats(found["pdf"]),
            "its_html": stats(found["html"]),
            "pdf_over_html": round(
                statistics.median(p / h for p, h in zip(found["pdf"], found["html"], strict=True)),
                2,
            ),
        }


def run_export(targets: list[Target], count: int) -> None:
    timings = {t.label: [] for t in targets}
    lines = {}
    for _ in range(count):
        for target in targets:
            status, ms, body = target.sessions["coordinator"].request("/coordinator/export.csv")
            assert status == 200, (target.label, status)
            timings[target.label].append(ms)
            lines[target.label] = body.count(b"\n") - 1
    for target in targets:
        seconds = statistics.median(timings[target.label]) / 1000
        rows = lines[target.label]
        target.results["export"] = {
            "rows": rows,
            "seconds": round(seconds, 2),
            "us_per_row": round(seconds * 1e6 / rows, 2) if rows else None,
            "rows_per_second": round(rows / seconds) if seconds else None,
        }


def query_counts(target: Target) -> dict:
    out = subprocess.run(
        [PYTHON, str(ROOT / "bench" / "query_counts.py"), json.dumps(target.sample)],
        cwd=ROOT,
        env=target.env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def machine() -> str:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError, AttributeError):
        cpu = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text()).group(1)
    try:
        mem = re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1)
        mem = f"{int(mem) / 1024 / 1024:.0f} GB"
    except (OSError, AttributeError):
        mem = "? GB"
    load = os.getloadavg()[0]
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, {cpu}, {mem}, "
        f"load average {load:.1f} at the start"
    )


def summary(targets: list[Target]) -> str:
    """The table for docs/performance.md."""
    pg = sorted((t for t in targets if t.engine == "postgresql"), key=lambda t: t.size)
    lite = sorted((t for t in targets if t.engine == "sqlite"), key=lambda t: t.size)
    out = []
    head = [f"PG {t.size:,}" for t in pg] + [f"SQLite {t.size:,}" for t in lite]
    out.append(
        "| page | " + " | ".join(head) + " | growth PG (last two) | x /healthz (largest PG) "
        "| queries |"
    )
    out.append("|---" * (len(head) + 4) + "|")
    for page, *_ in PAGES:
        cells = [f"{t.results['pages'][page]['median_ms']:.1f} ms" for t in pg + lite]
        growth = ratio = ""
        if len(pg) >= 2:
            a, b = (t.results["pages"][page]["median_ms"] for t in pg[-2:])
            growth = f"{b / a:.2f}x" if a else ""
        if pg:
            health = pg[-1].results["pages"]["/healthz"]["median_ms"]
            ratio = f"{pg[-1].results['pages'][page]['median_ms'] / health:.1f}x"
        queries = (pg or lite)[-1].results.get("queries", {}).get(page, "")
        out.append(f"| {page} | " + " | ".join(cells) + f" | {growth} | {ratio} | {queries} |")
    every = pg + lite
    rows = [
        ("summary PDF, miss (first render)", lambda t: f"{t.results['pdf_miss']['median_ms']} ms"),
        (
            "sign, then PDFs ready (worker)",
            lambda t: f"{t.results['signing']['ready_after_sign']['median_ms']} ms",
        ),
        (
            "first PDF request after signing",
            lambda t: (
                f"{t.results['signing']['first_pdf_request']['median_ms']} ms "
                f"({t.results['signing']['pdf_over_html']}x its HTML)"
            ),
        ),
        (
            "full CSV export",
            lambda t: (
                f"{t.results['export']['rows']:,} rows, {t.results['export']['seconds']} s, "
                f"{t.results['export']['us_per_row']} us/row"
            ),
        ),
        (
            "seed",
            lambda t: (
                f"{t.seed_seconds} s ({t.seed_cpu_seconds} s CPU)" if t.seed_seconds else "reused"
            ),
        ),
        (
            "memory after (gunicorn workers / task worker)",
            lambda t: (
                f"{'/'.join(str(m) for m in t.results['memory_after']['gunicorn_workers_mb'])}"
                f" / {t.results['memory_after']['task_worker_mb']} MB"
            ),
        ),
    ]
    out.append("")
    out.append("| | " + " | ".join(t.label for t in every) + " |")
    out.append("|---" * (len(every) + 1) + "|")

    def safe(cell, target):
        try:
            return cell(target)
        except (KeyError, TypeError):
            return "not measured"

    for name, cell in rows:
        out.append(f"| {name} | " + " | ".join(safe(cell, t) for t in every) + " |")
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", nargs="+", type=int, default=[1000, 10000, 100000])
    parser.add_argument("--sqlite-sizes", nargs="*", type=int, default=[1000, 10000])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()
    pg_url = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    RESULTS.mkdir(exist_ok=True)
    report = {"machine": machine(), "python": platform.python_version()}
    print(report["machine"], flush=True)
    port = FIRST_PORT
    targets = []
    for engine, sizes in (("postgresql", args.sizes), ("sqlite", args.sqlite_sizes)):
        for size in sizes:
            url = database_url(engine, size, pg_url)
            targets.append(Target(engine=engine, size=size, url=url, port=port))
            port += 1
    manage(env_for(database_url("sqlite", 0, pg_url)), "collectstatic", "--noinput", "-v0")
    for target in targets:
        prepare(target, pg_url, args.reuse)
    try:
        for target in targets:
            target.results["queries"] = query_counts(target)
            serve(target)
            target.sessions = {
                who: Session(target.base, who) for who in ("clinician", "coordinator", "lead")
            }
            target.results["memory_before"] = memory(target)
        print("pages...", flush=True)
        run_pages(targets, args.rounds)
        for name, step in (
            ("PDF misses", lambda: run_pdf_misses(targets, 4)),
            ("signing", lambda: run_signing(targets, 4, offset=10)),
            ("export", lambda: run_export(targets, 3)),
        ):
            print(f"{name}...", flush=True)
            try:
                step()
            except Exception as error:  # a failed part is reported, the others still run
                print(f"{name} failed: {error!r}", flush=True)
        for target in targets:
            target.results["memory_after"] = memory(target)
    finally:
        for target in targets:
            for process in target.processes:
                process.terminate()
            for process in target.processes:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
    report["targets"] = {
        t.label: {
            "seed_seconds": t.seed_seconds,
            "seed_cpu_seconds": t.seed_cpu_seconds,
            **t.results,
        }
        for t in targets
    }
    table = summary(targets)
    report["table"] = table
    print("\n" + table + "\n", flush=True)
    (RESULTS / "bench.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
