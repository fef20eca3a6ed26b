"""Load benchmark: 20 analysts reading the pages of a 1,000-interview study, with locust on loopback.

`python -m benchmarks.load` (or `make bench-load`):

1. builds a synthetic study (`perche demo --synthetic`'s generator) in a temporary data folder, on the
   embedded SQLite database, or on PostgreSQL with `--database-url` (its tables are replaced: give it a
   database of its own, and `--reset-database`);
2. starts `perche serve --no-worker --workers N` on a free loopback port (`--web-workers`, default one
   process per core, as README recommends for the web app);
3. runs locust headless: `--users` analysts, each signed in through the login form (its own session
   cookie, the CSRF token of the form), opening the study page, an interview, the review queue, the
   answers by question, the report and the report with a filter (segment, region, product line or
   journey stage), a page every 0.5 to 1.5 s, for `--seconds`;
4. prints a table per page (requests, p50, p95, max, errors, target, pass) and records it in
   docs/benchmarks.md. Targets: p95 <= 150 ms for pages, <= 1 s for the report, no errors.
"""

from __future__ import annotations

import argparse
import csv
import os
import socket
import statistics
import subprocess  # nosec B404  # the server and locust, started from this interpreter's environment
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks._load import LoadSampler
from benchmarks._report import markdown_table, record

HERE = Path(__file__).resolve().parent
LOCUSTFILE = HERE / "locustfile.py"
EMAIL, PASSWORD = "bench-analyst-{n}@example.com", "bench-load-password"
PAGE_TARGET_MS, REPORT_TARGET_MS = 150, 1000
PAGES = ("study", "interview", "review queue", "answers by question", "report", "report with a filter")


@dataclass
class Row:
    page: str
    requests: int
    failures: int
    p50: float
    p95: float
    max: float

    @property
    def target(self) -> int:
        return REPORT_TARGET_MS if self.page.startswith("report") else PAGE_TARGET_MS

    @property
    def passed(self) -> bool:
        return self.requests > 0 and self.failures == 0 and self.p95 <= self.target


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()


def _vacuum(url: str) -> None:
    """VACUUM ANALYZE after the bulk load, as a database at rest would be: otherwise autovacuum analyses the
    new tables during the run, and fresh tables have no statistics for the planner."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("VACUUM ANALYZE"))
    engine.dispose()


def build_study(data_dir: Path, database_url: str, interviews: int,
                users: int) -> tuple[int, list[int], list[str], int]:
    """(study id, interview ids, report filters, coded units) of a new synthetic study, and an analyst's
    account per simulated user (sign-in is throttled per account)."""
    from workbench.db import session_scope, upgrade_database
    from workbench.demo.synthetic import create_synthetic_study
    from workbench.services import interviews as interview_service
    from workbench.services import reports as report_service
    from workbench.services import users as user_service
    from workbench.settings import Settings

    settings = Settings(data_dir=data_dir, database_url=database_url)
    settings.ensure_dirs()
    upgrade_database(settings)
    with session_scope(settings) as session:
        made = create_synthetic_study(session, interviews)
        for n in range(1, users + 2):  # one more for the warm-up
            user_service.create_user(session, email=EMAIL.format(n=n), password=PASSWORD, role="analyst",
                                     name=f"Bench analyst {n}", via="benchmarks.load")
        ids = [i.id for i in interview_service.list_interviews(session, study_id=made.study.id)]
        choices = report_service.filter_choices(session, study_id=made.study.id)
    if database_url.startswith("postgresql"):
        _vacuum(database_url)
    filters = [f"{key}={values[0]}" for key, values in choices.items()
               if key in ("segment", "region", "product_line", "journey_stage") and values]
    return made.study.id, ids, filters, made.units


def _wait_until_up(base: str, server: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"perche serve exited with {server.returncode}; see its output above.")
        try:
            if httpx.get(f"{base}/login", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"perche serve did not answer at {base} within {timeout:.0f} s.")


def _warm_up(base: str, study: int, interview: int, email: str, filters: list[str],
             processes: int = 1) -> tuple[dict[str, float], dict[str, float]]:
    """One request per page (and per report filter) first, timed: imports, first-use loads and the first
    build of each cached report are reported apart from the figures under load. Returns ms per page of
    that first request, and the median of 5 warm requests sent alone (what a page costs without load).

    With several web processes, each request is on a new connection and the pages are asked again
    (3 times per process, untimed), so that every process has likely warmed its own caches."""
    limits = httpx.Limits(max_keepalive_connections=0) if processes > 1 else httpx.Limits()
    with httpx.Client(base_url=base, timeout=120, limits=limits) as client:
        import re

        page = client.get("/login")
        token = re.search(r'name="csrftoken" value="([^"]+)"', page.text)
        client.post("/login", data={"email": email, "password": PASSWORD, "next": "/studies",
                                    "csrftoken": token.group(1) if token else ""})
        cold: dict[str, float] = {}
        paths = [("study", f"/studies/{study}"), ("interview", f"/interviews/{interview}"),
                 ("review queue", f"/studies/{study}/review"), ("answers by question", f"/studies/{study}/questions"),
                 ("report", f"/studies/{study}/report")]
        paths += [("report with a filter", f"/studies/{study}/report?{f}") for f in filters]
        for name, path in paths:
            started = time.perf_counter()
            response = client.get(path)
            cold[name] = max(cold.get(name, 0.0), (time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"{path} answered {response.status_code} before the load started.")
        for _ in range(3 * processes if processes > 1 else 0):
            for _name, path in paths:
                client.get(path)
        alone: dict[str, list[float]] = {}
        for _ in range(5):
            for name, path in paths:
                started = time.perf_counter()
                client.get(path)
                alone.setdefault(name, []).append((time.perf_counter() - started) * 1000)
        return cold, {name: statistics.median(times) for name, times in alone.items()}


def _read_stats(prefix: Path) -> list[Row]:
    rows = {}
    with open(f"{prefix}_stats.csv", newline="") as handle:
        for line in csv.DictReader(handle):
            if line["Name"] in PAGES:
                rows[line["Name"]] = Row(page=line["Name"], requests=int(line["Request Count"]),
                                         failures=int(line["Failure Count"]), p50=float(line["50%"]),
                                         p95=float(line["95%"]), max=float(line["Max Response Time"]))
    return [rows.get(page, Row(page, 0, 0, 0, 0, 0)) for page in PAGES]


def run(interviews: int = 1000, users: int = 20, seconds: int = 60, database_url: str = "",
        label: str = "", web_workers: int = 2) -> str:
    backend = "PostgreSQL" if database_url.startswith("postgresql") else "SQLite"
    with tempfile.TemporaryDirectory(prefix="perche-bench-load-") as tmp:
        data_dir = Path(tmp) / "data"
        started = time.perf_counter()
        study, ids, filters, units = build_study(data_dir, database_url, interviews, users)
        build_s = time.perf_counter() - started
        print(f"Built study #{study}: {len(ids)} interviews, {units} coded units in {build_s:.1f} s")
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        env = {**os.environ, "PERCHE_DATA_DIR": str(data_dir), "PERCHE_DATABASE_URL": database_url,
               "PERCHE_ENV": "development"}
        perche = Path(sys.executable).with_name("perche")
        with open(Path(tmp) / "server.log", "w") as server_log:
            server = subprocess.Popen([str(perche), "serve", "--no-worker", "--workers", str(web_workers),  # noqa: S603  # nosec B603
                                       "--host", "127.0.0.1", "--port", str(port)],
                                      env=env, stdout=subprocess.DEVNULL, stderr=server_log)
            try:
                _wait_until_up(base, server)
                cold, alone = _warm_up(base, study, ids[0], EMAIL.format(n=users + 1), filters, web_workers)
                prefix = Path(tmp) / "locust"
                locust_env = {**os.environ, "PERCHE_BENCH_STUDY": str(study),
                              "PERCHE_BENCH_INTERVIEWS": ",".join(map(str, ids)),
                              "PERCHE_BENCH_FILTERS": "&&".join(filters),
                              "PERCHE_BENCH_EMAIL": EMAIL, "PERCHE_BENCH_PASSWORD": PASSWORD}
                with LoadSampler(every=5) as load:
                    subprocess.run([sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",  # noqa: S603  # nosec B603
                                    "-u", str(users), "-r", "4", "-t", f"{seconds}s", "--host", base,
                                    "--csv", str(prefix), "--only-summary", "--stop-timeout", "30",
                                    "--loglevel", "WARNING"], env=locust_env, check=False)
                rows = _read_stats(prefix)
            finally:
                server.terminate()
                try:
                    server.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    server.kill()
                log = (Path(tmp) / "server.log").read_text(errors="replace")
                if "Traceback" in log:
                    print(log[-4000:], file=sys.stderr)
    table = markdown_table(
        ["page", "first request ms", "alone ms", "requests", "p50 ms", "p95 ms", "max ms", "errors", "target p95",
         "pass"],
        [[r.page, f"{cold.get(r.page, 0):.0f}", f"{alone.get(r.page, 0):.0f}", r.requests, f"{r.p50:.0f}",
          f"{r.p95:.0f}", f"{r.max:.0f}", r.failures,
          f"≤ {r.target:,} ms", "yes" if r.passed else "**no**"] for r in rows])
    verdict = "every target met" if all(r.passed for r in rows) else "some targets missed"
    body = (f"`python -m benchmarks.load`: {len(ids):,} synthetic interviews ({units:,} coded units, "
            f"`perche demo --synthetic`), {backend}, `perche serve --no-worker --workers {web_workers}` on loopback "
            f"({_processes(web_workers)}, each with caches of its own); "
            f"{users} analysts, each signed in to an account of their own (locust, started 4 a second, "
            f"a page every 0.5–1.5 s each) for {seconds} s, after one warm-up request per page and report filter "
            f"(*first request*: alone, cold caches; for the filters, the slowest"
            f"{'; then each page again, 3 times per process, untimed' if web_workers > 1 else ''}; *alone*: the "
            f"median of 5 warm requests sent one at a time, before the load); report filters: "
            f"{', '.join(filters)}{'; VACUUM ANALYZE after the load' if backend == 'PostgreSQL' else ''}. "
            f"Locust runs on the same cores as the server. During the run {load.summary()}."
            f"\n\n{table}\n\n{verdict.capitalize()}.")
    title = f"Load ({backend}{', ' + label if label else ''})"
    return record(title, body)


def _processes(n: int) -> str:
    return "one web process" if n == 1 else (f"{n} web processes: one per core, as README's *How many workers* "
                                             "recommends for the web app")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interviews", type=int, default=1000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--database-url", default=os.environ.get("PERCHE_BENCH_DATABASE_URL", ""),
                        help="a PostgreSQL database of the benchmark's own (default: SQLite in the temporary folder)")
    parser.add_argument("--reset-database", action="store_true",
                        help="drop every table of --database-url first (required when it is PostgreSQL)")
    parser.add_argument("--label", default="", help="added to the section title, e.g. 'before the fixes'")
    parser.add_argument("--web-workers", type=int, default=os.cpu_count() or 1,
                        help="perche serve --workers (default: one per core)")
    args = parser.parse_args()
    if args.database_url.startswith("postgresql"):
        if not args.reset_database:
            parser.error("--database-url on PostgreSQL replaces every table there: add --reset-database "
                         "to say that is fine (use a database of the benchmark's own).")
        _reset_postgres(args.database_url)
    run(args.interviews, args.users, args.seconds, args.database_url, args.label, args.web_workers)


if __name__ == "__main__":
    main()
