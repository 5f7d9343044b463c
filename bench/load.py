"""make load: a bounded locust run (loopback, 20 users, 60 s, headless) against gunicorn.

Reuses bench-results/bench-1000.sqlite3 when `make bench` left one, else seeds it. Prints the
request count, failures and throughput; the run fails if any request failed.
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
from pathlib import Path

from run import PORT, RESULTS, ROOT, env_for, manage, prepare, serve


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workups", type=int, default=1000)
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    db = RESULTS / f"bench-{args.workups}.sqlite3"
    if db.exists():
        env = env_for(db)
    else:
        db, env, _ = prepare(args.workups)
    manage(env, "collectstatic", "--noinput", "-v0")
    process = serve(env)
    prefix = RESULTS / "load"
    try:
        locust = Path(sys.executable).with_name("locust")
        result = subprocess.run(
            [
                str(locust),
                "-f",
                str(ROOT / "bench" / "locustfile.py"),
                "--headless",
                "-u",
                str(args.users),
                "-r",
                "5",
                "-t",
                f"{args.seconds}s",
                "--host",
                f"http://127.0.0.1:{PORT}",
                "--csv",
                str(prefix),
                "--only-summary",
            ],
            cwd=ROOT,
            env={**env, "LOAD_WORKUPS": str(args.workups)},
            check=False,
        )
    finally:
        process.terminate()
        process.wait(timeout=10)
    with open(f"{prefix}_stats.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    total = next(r for r in rows if r["Name"] == "Aggregated")
    print(
        f"\nload: {args.users} users, {args.seconds} s: {total['Request Count']} requests, "
        f"{total['Failure Count']} failures, {float(total['Requests/s']):.1f} requests/s, "
        f"median {total['Median Response Time']} ms, p95 {total['95%']} ms"
    )
    if int(total["Failure Count"]) or result.returncode:
        sys.exit(1)


if __name__ == "__main__":
    main()
