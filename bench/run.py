"""
`make bench`: throughput and latency of real pages on a realistic archive.

1. A benchmark database (`newsroom_bench`, beside the development one) is migrated and
   filled once with `generate_archive` (100,000 articles, 1,000,000 updates).
2. The site runs under gunicorn with production settings (DEBUG off, hashed static
   files), twice: without the page cache ("uncached") and with it ("cached", Redis
   when it answers on 127.0.0.1:6379).
3. wrk loads each page; the same run measures a baseline Django view returning as
   many bytes from memory (one per page size), and each page is reported as a ratio
   of its baseline, so results compare across machines.
4. The table, the SQL queries per page and the workers' memory are printed and
   written to bench-results/<time>.json.

Everything runs on this machine, against 127.0.0.1 only.
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from statistics import median
from urllib.parse import quote
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench-results"
BENCH_DB = "newsroom_bench"
REDIS = ("127.0.0.1", 6379)
REDIS_DB = "13"

CACHED = ("article", "developing story", "home", "section p1")
TARGETS = {
    # label: (pages, minimum ratio to the baseline's requests/s, for each)
    "cached pages >= 0.8x": ([f"{name} (cached)" for name in CACHED], 0.8),
    "uncached article >= 0.12x": (["article"], 0.12),
    "uncached home >= 0.08x": (["home"], 0.08),
    "uncached section >= 0.08x": (["section p1"], 0.08),
}


@contextmanager
def changing_every_second():
    """Moves the page cache's generation on every second, as a published change
    does (newsroom.cache.bump), from another process's point of view."""
    import redis as redis_client

    client = redis_client.Redis(*REDIS, db=int(REDIS_DB))
    stop = threading.Event()

    def bump():
        while not stop.wait(1.0):
            # settings.CACHES: KEY_PREFIX "newsroom", version 1; GENERATION_KEY.
            client.incr("newsroom:1:pages:generation")

    thread = threading.Thread(target=bump, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def kilobytes(size):
    return max(1, round(size / 1024))


def say(message):
    print(f"[bench] {message}", flush=True)


def reachable(host, port):
    try:
        socket.create_connection((host, port), timeout=0.5).close()
    except OSError:
        return False
    return True


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url():
    """The benchmark database, on the server DATABASE_URL names, or on the embedded
    PostgreSQL of the project (started for the length of the run)."""
    import psycopg2

    url = os.environ.get("DATABASE_URL")
    if url:
        import dj_database_url

        params = dj_database_url.parse(url)
        connect = {
            "host": params["HOST"] or None,
            "port": params["PORT"] or None,
            "user": params["USER"],
            "password": params["PASSWORD"] or None,
        }
        base = url.rsplit("/", 1)[0]
        bench_url = f"{base}/{BENCH_DB}"
    else:
        sys.path.insert(0, str(ROOT))
        from newsroom.embedded_postgres import database_settings

        params = database_settings(ROOT / ".pgdata")
        connect = {"host": params["HOST"], "user": params["USER"]}
        bench_url = (
            f"postgres://{params['USER']}@{quote(params['HOST'], safe='')}/{BENCH_DB}"
        )
    # Not `with connection:`, which opens a transaction (psycopg2 2.9), and CREATE
    # DATABASE refuses to run inside one.
    connection = psycopg2.connect(dbname="postgres", **connect)
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB])
            if cursor.fetchone() is None:
                cursor.execute(f"CREATE DATABASE {BENCH_DB}")
    finally:
        connection.close()
    return bench_url


def manage(env, *args, capture=False):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        text=True,
        capture_output=capture,
    )


def start_gunicorn(env, port, workers):
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "newsroom.wsgi",
            f"--workers={workers}",
            f"--bind=127.0.0.1:{port}",
            "--log-level=warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    for _ in range(300):
        try:
            urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read()  # noqa: S310
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("gunicorn did not start")


def worker_rss(master):
    """Resident memory (MiB) of each worker of a gunicorn master."""
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children")
    sizes = []
    for pid in children.read_text().split() if children.exists() else []:
        status = Path(f"/proc/{pid}/status").read_text()
        kib = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
        sizes.append(round(kib / 1024, 1))
    return sizes


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def wrk(url, duration, connections, threads, script=None, env=None):
    args = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency"]
    # A slow page is measured, not dropped: wrk's own limit is 2 s.
    args += ["--timeout", "10s"]
    if script:
        args += ["-s", str(script)]
    output = subprocess.run(
        [*args, url], capture_output=True, text=True, check=True, env=env
    ).stdout

    def latency(percent):
        match = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M)
        if match is None:
            raise SystemExit(f"wrk gave no {percent}% latency for {url}:\n{output}")
        return round(float(match.group(1)) * UNITS[match.group(2)], 2)

    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    timeouts = re.search(r"Socket errors: .*timeout (\d+)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50_ms": latency(50),
        "p99_ms": latency(99),
        "errors": int(non_2xx.group(1)) if non_2xx else 0,
        "timeouts": int(timeouts.group(1)) if timeouts else 0,
    }


def pick_pages(env):
    """URLs of real pages in the archive, and the SQL queries each one runs."""
    # Count what rendering costs, not what the page cache saves.
    os.environ.update({**env, "PAGE_CACHE_SECONDS": "0"})
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from articles.models import Article, Section
    from articles.pagination import Cursor
    from donations.models import AppealVariant

    archive = Article.objects.published().filter(slug__startswith="archive-")
    article = archive.filter(developing=False).order_by("-published_at")[500]
    developing = archive.filter(developing=True).order_by("-published_at", "pk").first()
    section = Section.objects.filter(slug__startswith="archive-").first()
    in_section = archive.filter(section=section).order_by("-published_at", "-pk")
    # 5,000 stories back, or as far back as a small archive still fills a page.
    deep = in_section[max(0, min(5000, in_section.count() - 21))]
    variant = AppealVariant.objects.select_related("appeal").first()
    pages = {
        "article": article.get_absolute_url(),
        "developing story": developing.get_absolute_url(),
        "home": "/",
        "section p1": section.get_absolute_url(),
        "section deep": f"{section.get_absolute_url()}?before={Cursor.of(deep)}",
        "search": "/search/?q=council+budget",
        "feed": "/feed/",
    }
    # Queries as the tests pin them: without the worker's memo (newsroom.memo,
    # which saves the appeals and sections queries on most requests).
    memo_seconds = settings.WORKER_MEMO_SECONDS
    settings.WORKER_MEMO_SECONDS = 0
    client = Client()
    queries, sizes = {}, {}
    for name, url in pages.items():
        client.get(url)  # warm up caches that are per process anyway
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{name}: {url} answered {response.status_code}")
        queries[name] = len(captured)
        sizes[name] = len(response.content)
    beacon = (variant.appeal_id, variant.pk) if variant else None
    settings.WORKER_MEMO_SECONDS = memo_seconds
    return pages, queries, sizes, beacon, first_reader(client, article)


def first_reader(client, article):
    """What the article costs the first reader after a change, who renders its
    stored parts again (articles.parts), beside a reader who finds them kept: the
    median milliseconds of 7 requests in this process (with the worker's memo, as
    served), and queries."""
    import time

    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from articles.models import Article

    url = article.get_absolute_url()
    found = {}
    for label, forget in (("kept", False), ("forgotten", True)):
        times = []
        for _ in range(7):
            if forget:
                Article.objects.filter(pk=article.pk).update(story_parts=None)
            reset_queries()  # a request starts by emptying the log
            with CaptureQueriesContext(connection) as captured:
                start = time.perf_counter()
                client.get(url)
                times.append((time.perf_counter() - start) * 1000)
        found[label] = {"ms": round(median(times), 1), "queries": len(captured)}
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per page")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--runs", type=int, default=3, help="repeat every measurement; medians win"
    )
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--updates", type=int, default=1_000_000)
    parser.add_argument(
        "--soak", type=int, default=0, help="seconds of load to watch worker memory"
    )
    options = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit(
            "make bench needs wrk, an HTTP load generator: apt-get install wrk"
        )

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DJANGO_DEBUG": "0",
        "SECRET_KEY": "benchmark-only-secret-key-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "SECURE_SSL_REDIRECT": "0",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)
    env["DATABASE_URL"] = database_url()
    say(f"database: {BENCH_DB}")
    manage(env, "migrate", "--noinput", "-v0")
    have = manage(
        env,
        "shell",
        "-c",
        "from articles.models import Article;"
        "print(Article.objects.filter(slug__startswith='archive-').count())",
        capture=True,
    ).stdout.split()[-1]
    if int(have) == 0:
        say(f"generating the archive ({options.articles:,} articles); once only")
        manage(
            env,
            "generate_archive",
            f"--articles={options.articles}",
            f"--updates={options.updates}",
        )
    manage(env, "load_demo", capture=True)  # an appeal to send beacons to
    manage(env, "collectstatic", "--noinput", "-v0")

    pages, queries, sizes, beacon, first = pick_pages(env)
    say(f"{int(have) or options.articles:,} archive articles; pages: {pages}")

    redis = reachable(*REDIS)
    cached_env = {**env, "PAGE_CACHE_SECONDS": "600"}
    if redis:
        cached_env["REDIS_URL"] = f"redis://{REDIS[0]}:{REDIS[1]}/{REDIS_DB}"
        subprocess.run(["redis-cli", "-n", REDIS_DB, "flushdb"], capture_output=True)
    uncached_env = {**env, "PAGE_CACHE_SECONDS": "0"}
    uncached_port, cached_port = free_port(), free_port()
    uncached = start_gunicorn(uncached_env, uncached_port, options.workers)
    cached = start_gunicorn(cached_env, cached_port, options.workers)
    rss_start = {"uncached": worker_rss(uncached), "cached": worker_rss(cached)}

    def run(label, port, url, **kwargs):
        target = f"http://127.0.0.1:{port}{url}"
        wrk(target, 2, options.connections, options.threads, **kwargs)  # warm up
        result = wrk(
            target, options.duration, options.connections, options.threads, **kwargs
        )
        say(f"{label:24} {result['rps']:9.1f} req/s  p50 {result['p50_ms']} ms")
        return result

    def measure():
        """One pass over every page, the baselines first."""
        results = {}
        for kb in sorted({kilobytes(size) for size in sizes.values()}):
            results[f"baseline {kb} KB"] = run(
                f"baseline {kb} KB", uncached_port, f"/bench/baseline/{kb * 1024}/"
            )
        for name, url in pages.items():
            results[name] = run(name, uncached_port, url)
        for name in CACHED:
            results[f"{name} (cached)"] = run(
                f"{name} (cached)", cached_port, pages[name]
            )
        if redis:
            # Breaking news: the story changes every second, and every change makes
            # every cached page stale (what an update, a correction or a gift does).
            label = "developing story (cached, 1 change/s)"
            with changing_every_second():
                results[label] = run(label, cached_port, pages["developing story"])
        one = wrk(
            f"http://127.0.0.1:{uncached_port}{pages['search']}", options.duration, 1, 1
        )
        results["search (1 client)"] = one
        say(f"{'search (1 client)':24} p50 {one['p50_ms']} ms")
        if beacon:
            beacon_env = {
                **os.environ,
                "BENCH_APPEAL": str(beacon[0]),
                "BENCH_VARIANT": str(beacon[1]),
            }
            results["appeal beacon"] = run(
                "appeal beacon",
                uncached_port,
                "/donate/events/",
                script=ROOT / "bench" / "beacon.lua",
                env=beacon_env,
            )
        return results

    runs = []
    try:
        for number in range(1, options.runs + 1):
            say(f"run {number} of {options.runs}")
            runs.append(measure())
        rss_end = {"uncached": worker_rss(uncached), "cached": worker_rss(cached)}
        soak = None
        if options.soak:
            say(f"soak: {options.soak} s on the uncached article page")
            soak = wrk(
                f"http://127.0.0.1:{uncached_port}{pages['article']}",
                options.soak,
                options.connections,
                options.threads,
            )
            rss_soaked = worker_rss(uncached)
    finally:
        for process in (uncached, cached):
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=20)

    def baseline_of(name):
        """The baseline returning as many bytes as this page (the article's for
        the beacon and the baselines themselves)."""
        page = name.split(" (")[0]
        return f"baseline {kilobytes(sizes.get(page, sizes['article']))} KB"

    # Each page's figures are the median over the runs; its ratio to the baseline
    # of its size is taken within each run (same minute, same machine), then the
    # median and the range of those ratios are reported.
    summary = {}
    for name in runs[0]:
        ratios = [run[name]["rps"] / run[baseline_of(name)]["rps"] for run in runs]
        summary[name] = {
            "rps": median(run[name]["rps"] for run in runs),
            "p50_ms": median(run[name]["p50_ms"] for run in runs),
            "p99_ms": median(run[name]["p99_ms"] for run in runs),
            "ratio": median(ratios),
            "ratio_min": min(ratios),
            "ratio_max": max(ratios),
            "p50_min": min(run[name]["p50_ms"] for run in runs),
            "p50_max": max(run[name]["p50_ms"] for run in runs),
            "errors": sum(run[name]["errors"] + run[name]["timeouts"] for run in runs),
        }
    print()
    print(
        f"medians of {len(runs)} runs, {options.duration} s each, "
        f"{options.connections} connections, {options.workers} workers"
    )
    print(
        f"{'page':38}{'req/s':>9}{'p50 ms':>8}{'p99 ms':>8}"
        f"{'x base':>8}{'(range)':>14}{'SQL':>5}{'errors':>7}"
    )
    for name, row in summary.items():
        sql = 0 if "cached" in name else queries.get(name.replace(" (1 client)", ""))
        spread = f"{row['ratio_min']:.3f}-{row['ratio_max']:.3f}"
        print(
            f"{name:38}{row['rps']:9.1f}{row['p50_ms']:8.2f}{row['p99_ms']:8.2f}"
            f"{row['ratio']:8.3f}{spread:>14}{'' if sql is None else sql:>5}"
            f"{row['errors']:>7}"
        )
    print()
    verdicts = {}

    def verdict(label, ok, measured):
        verdicts[label] = ok
        print(f"{'PASS' if ok else 'MISS'}  {label} (measured {measured})")

    for label, (names, minimum) in TARGETS.items():
        worst = min(names, key=lambda name: summary[name]["ratio"])
        row = summary[worst]
        verdict(
            label,
            row["ratio"] >= minimum,
            f"{row['ratio']:.3f}x{f' for {worst}' if len(names) > 1 else ''},"
            f" runs {row['ratio_min']:.3f}-{row['ratio_max']:.3f}",
        )
    search = summary["search (1 client)"]
    verdict(
        "search p50 < 50 ms",
        search["p50_ms"] < 50,
        f"{search['p50_ms']} ms, runs {search['p50_min']}-{search['p50_max']}",
    )
    deep = [
        run["section deep"]["p50_ms"] / max(run["section p1"]["p50_ms"], 0.01)
        for run in runs
    ]
    verdict(
        "deep page <= 2x page 1 latency",
        median(deep) <= 2,
        f"{median(deep):.2f}x, runs {min(deep):.2f}-{max(deep):.2f}",
    )
    print(
        "article in-process, parts kept: {kept[ms]} ms, {kept[queries]} queries;"
        " first reader after a change (parts rendered again):"
        " {forgotten[ms]} ms, {forgotten[queries]} queries".format(**first)
    )
    print(f"worker RSS MiB at start {rss_start}, after the runs {rss_end}")
    if soak:
        print(
            f"soak: {options.soak} s of the uncached article at"
            f" {soak['rps']:.1f} req/s; its workers' RSS MiB:"
            f" {rss_start['uncached']} cold, {rss_end['uncached']} after the runs,"
            f" {rss_soaked} after the soak"
        )
    print(f"cache for the cached run: {'Redis' if redis else 'local memory'}")

    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"{datetime.now():%Y%m%d-%H%M%S}.json"
    out.write_text(
        json.dumps(
            {
                "options": vars(options),
                "pages": pages,
                "queries": queries,
                "first_reader": first,
                "bytes": sizes,
                "summary": summary,
                "runs": runs,
                "soak": soak,
                "verdicts": verdicts,
                "worker_rss_mib": {
                    "start": rss_start,
                    "end": rss_end,
                    "after_soak": rss_soaked if soak else None,
                },
                "cache": "redis" if redis else "locmem",
            },
            indent=2,
        )
    )
    say(f"results written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
