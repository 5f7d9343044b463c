"""make bench: seed 1,000 and 10,000 synthetic work-ups into separate SQLite databases, serve
each through gunicorn, and print latency (median, p95), query counts and growth per page.

Figures, not pass/fail: the targets are checked by reading them (docs/performance.md keeps the
last run with the machine it ran on). Usage: python bench/run.py [--sizes 1000 10000]
"""

from __future__ import annotations

import argparse
import http.client
import http.cookiejar
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench-results"
PYTHON = sys.executable
PASSWORD = "bench-password-2026"
PORT = 8765

# (name, method, path template, repetitions). {workup} is a sample work-up id.
PAGES = [
    ("patients", "GET", "/patients/?q=Ada", 30),
    ("work-up", "GET", "/workups/{workup}/", 30),
    ("coordinator queue", "GET", "/coordinator/", 30),
    ("admin changelist", "GET", "/admin/clinic/checkliststep/?status__exact=pending", 30),
    ("summary", "GET", "/workups/{workup}/summary/", 30),
    ("summary PDF", "GET", "/workups/{workup}/summary.pdf", 12),
    ("api assess", "POST", "/api/assess", 60),
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


def env_for(db: Path) -> dict:
    env = dict(os.environ)
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_HTTPS="0",
        DJANGO_SECRET_KEY="bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        DATABASE_URL=f"sqlite:///{db}",
        DJANGO_ENV_FILE="/nonexistent",
        DJANGO_LOG_LEVEL="WARNING",
        DJANGO_LOGIN_FAILURE_LIMIT="1000",
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


def prepare(size: int) -> tuple[Path, dict, float]:
    db = RESULTS / f"bench-{size}.sqlite3"
    for stale in RESULTS.glob(f"bench-{size}.sqlite3*"):
        stale.unlink()
    env = env_for(db)
    manage(env, "migrate", "--noinput", "-v0")
    started = time.perf_counter()
    manage(env, "seed_demo", "--workups", str(size), "--password", PASSWORD, capture=True)
    seed_seconds = time.perf_counter() - started
    manage(
        env,
        "shell",
        "--no-imports",
        "-c",
        "from django.contrib.auth import get_user_model as g; U = g(); "
        "U.objects.filter(username='benchadmin').exists() or "
        f"U.objects.create_superuser('benchadmin', 'b@example.org', '{PASSWORD}')",
    )
    return db, env, seed_seconds


class Session:
    """A logged-in browser, with cookies, over plain HTTP on the loopback."""

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

    def request(self, method: str, path: str) -> tuple[int, float, int]:
        data = ASSESS_BODY if method == "POST" else None
        request = urllib.request.Request(f"{self.base}{path}", data=data, method=method)
        if method == "POST":
            request.add_header("Content-Type", "application/json")
            request.add_header("X-CSRFToken", self.csrf())
            request.add_header("Referer", self.base + "/")
        started = time.perf_counter()
        try:
            with self.opener.open(request) as response:
                body = response.read()
                status = response.status
        except urllib.error.HTTPError as error:
            body, status = error.read(), error.code
        return status, (time.perf_counter() - started) * 1000, len(body)


def serve(env: dict):
    gunicorn = Path(PYTHON).with_name("gunicorn")
    process = subprocess.Popen(
        [str(gunicorn), "-c", "gunicorn.conf.py", "workup.wsgi"],
        cwd=ROOT,
        env={**env, "GUNICORN_BIND": f"127.0.0.1:{PORT}", "GUNICORN_WORKERS": "2"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=1)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("gunicorn did not start")


def sample_workup(env) -> int:
    """A typical work-up: the median id."""
    out = manage(
        env,
        "shell",
        "--no-imports",
        "-c",
        "from workup.clinic.models import WorkUp; "
        "ids = list(WorkUp.objects.order_by('pk').values_list('pk', flat=True)); "
        "print(ids[len(ids) // 2])",
        capture=True,
    )
    return int(out.stdout.strip().splitlines()[-1])


def query_counts(env, workup: int) -> dict[str, int]:
    """Queries per page, counted in-process with Django's test client against the same DB."""
    script = ROOT / "bench" / "query_counts.py"
    out = subprocess.run(
        [PYTHON, str(script), str(workup)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(size: int) -> dict:
    print(f"\n== {size} work-ups ==", flush=True)
    db, env, seed_seconds = prepare(size)
    print(f"seeded in {seed_seconds:.1f} s", flush=True)
    workup = sample_workup(env)
    counts = query_counts(env, workup)
    # PDFs are cached by their HTML; the first render of a document is timed in-process.
    documents = json.loads(
        manage(env, "bench_documents", "--workups", "5", "--runs", "2", "--json", capture=True)
        .stdout.strip()
        .splitlines()[-1]
    )
    process = serve(env)
    results = {"seed_seconds": round(seed_seconds, 1), "pages": {}, "documents": documents}
    print(
        f"summary PDF first render: median {documents['pdf_median_ms']} ms, p95 "
        f"{documents['pdf_p95_ms']} ms (HTML {documents['html_median_ms']} ms in-process), "
        f"{documents['pages_median']:g} pages",
        flush=True,
    )
    try:
        base = f"http://127.0.0.1:{PORT}"
        clinician = Session(base, "clinician")
        coordinator = Session(base, "coordinator")
        admin = Session(base, "benchadmin")
        for name, method, template, repeat in PAGES:
            session = {"coordinator queue": coordinator, "admin changelist": admin}.get(
                name, clinician
            )
            path = template.format(workup=workup)
            for _ in range(3):
                session.request(method, path)  # warm caches
            timings, statuses = [], set()
            for _ in range(repeat):
                status, ms, _ = session.request(method, path)
                timings.append(ms)
                statuses.add(status)
            timings.sort()
            p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
            results["pages"][name] = {
                "median_ms": round(statistics.median(timings), 1),
                "p95_ms": round(p95, 1),
                "queries": counts.get(name),
                "status": sorted(statuses),
            }
            row = results["pages"][name]
            print(
                f"{name:18} median {row['median_ms']:7.1f} ms  p95 {row['p95_ms']:7.1f} ms  "
                f"queries {row['queries']}  status {row['status']}",
                flush=True,
            )
    finally:
        process.terminate()
        process.wait(timeout=10)
    return results


def machine() -> str:
    cpu = "unknown CPU"
    try:
        text = Path("/proc/cpuinfo").read_text()
        cpu = re.search(r"model name\s*:\s*(.+)", text).group(1)
    except (OSError, AttributeError):
        pass
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, {cpu}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", nargs="+", type=int, default=[1000, 10000])
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    manage(env_for(RESULTS / "static.sqlite3"), "collectstatic", "--noinput", "-v0")
    report = {"machine": machine(), "python": platform.python_version(), "sizes": {}}
    for size in args.sizes:
        report["sizes"][str(size)] = measure(size)

    sizes = [str(s) for s in args.sizes]
    print("\n== Summary ==")
    header = f"{'page':18} " + " ".join(f"{s + ' median':>14} {s + ' p95':>11}" for s in sizes)
    print(header + f" {'queries':>8} {'growth':>7}")
    for name, *_ in PAGES:
        rows = [report["sizes"][s]["pages"][name] for s in sizes]
        growth = rows[-1]["median_ms"] / rows[0]["median_ms"] if rows[0]["median_ms"] else 0
        report.setdefault("growth", {})[name] = round(growth, 2)
        cells = " ".join(f"{r['median_ms']:>11.1f} ms {r['p95_ms']:>8.1f} ms" for r in rows)
        print(f"{name:18} {cells} {str(rows[-1]['queries']):>8} {growth:>6.2f}x")
    for s in sizes:
        pages = report["sizes"][s]["pages"]
        ratio = pages["summary PDF"]["median_ms"] / pages["summary"]["median_ms"]
        queue = pages["coordinator queue"]["median_ms"]
        changelist = pages["admin changelist"]["median_ms"]
        report["sizes"][s]["pdf_over_html"] = round(ratio, 2)
        cold = report["sizes"][s]["documents"]
        print(
            f"{s}: seeded in {report['sizes'][s]['seed_seconds']} s; PDF / HTML {ratio:.2f}x "
            f"served (first render {cold['pdf_median_ms']:.0f} ms, "
            f"{cold['pdf_html_ratio']}x its HTML); "
            f"queue {queue:.1f} ms vs admin changelist {changelist:.1f} ms"
        )
    print(f"machine: {report['machine']}, Python {report['python']}")
    (RESULTS / "bench.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
