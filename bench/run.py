"""
`make bench`: throughput and latency of real pages on a realistic archive.

1. A benchmark database (`newsroom_bench`, or BENCH_DB, beside the development one)
   is migrated and filled once with `generate_archive` (100,000 articles, 1,000,000
   updates).
2. The site runs under gunicorn with production settings (DEBUG off, hashed static
   files), twice: without the page cache ("uncached") and with it ("cached", Redis
   when it answers on 127.0.0.1:6379), and nginx with docker/nginx.conf in front of
   the cached one.
3. wrk loads each page in short slices alternating with a baseline Django view
   returning as many bytes from memory (A B B A A B...), and each page is reported
   as the median of its paired ratios to the baseline with their spread
   (bench/stats.py): a machine that slows down or speeds up during the run slows or
   speeds both alike.
4. A breaking-news surge: readers over 1,000 pages with a Zipf-like popularity while
   a developing story gets an update every 10 s (bench/surge.py).
5. The table, the verdicts, the SQL queries per page and the workers' memory are
   printed and written to bench-results/<time>.json.

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
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from statistics import median
from urllib.parse import quote
from urllib.request import urlopen

from bench import surge
from bench.nginx import NGINX, running_nginx
from bench.stats import Spread, interleaved, paired_ratios, verdict

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench-results"
# Another name keeps a second bench (another checkout, CI) off this one's archive.
BENCH_DB = os.environ.get("BENCH_DB", "newsroom_bench")
REDIS = ("127.0.0.1", 6379)
REDIS_DB = os.environ.get("BENCH_REDIS_DB", "13")

CACHED = ("article", "developing story", "home", "section p1")
THROUGH_NGINX = ("article", "developing story", "home")
TARGETS = {
    # label: (pages, minimum ratio to the baseline's requests/s, for each)
    "cached pages >= 0.8x": ([f"{name} (cached)" for name in CACHED], 0.8),
    "uncached article >= 0.12x": (["article"], 0.12),
    "uncached home >= 0.08x": (["home"], 0.08),
    "uncached section >= 0.08x": (["section p1"], 0.08),
    "surge throughput >= 0.5x": (["surge"], 0.5),
}
LIMITS = {
    # label: (measurement, its figure, the most it may be, digits and unit shown)
    "search p50 < 50 ms (1 client)": ("search (1 client)", "p50_ms", 50, 1, " ms"),
    "deep page <= 2x page 1 latency": ("section deep / p1 latency", "ratio", 2, 2, "x"),
    "surge p99 < 250 ms": ("surge", "p99_ms", 250, 0, " ms"),
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


def ports(first):
    """Ports for the servers: first, first + 1... or free ones when first is 0."""
    number = first
    while True:
        if first:
            yield number
            number += 1
        else:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                yield s.getsockname()[1]


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
    readers = reader_paths(archive, developing)
    first = first_reader(client, article)
    return pages, queries, sizes, beacon, first, (readers, developing.pk)


def reader_paths(archive, developing):
    """The 1,000 pages of the surge, most read first (bench/surge.py): the front
    page, the developing story and the latest, then stories newest first, sections,
    tags and authors with the most stories, and the next pages of the lists."""
    from django.db.models import Count

    from articles.models import Author, Section, Tag
    from articles.pagination import Cursor

    def next_pages(path, stories, pages=4):
        """Pages 2 to pages + 1 of a list of stories, 20 a page."""
        cursors = stories.order_by("-published_at", "-pk")[19 : 20 * pages : 20]
        return [f"{path}?before={Cursor.of(story)}" for story in cursors]

    def most_used(model, relation, count):
        return (
            model.objects.annotate(stories=Count(relation))
            .filter(stories__gt=0)
            .order_by("-stories", "pk")[:count]
        )

    sections = list(Section.objects.filter(slug__startswith="archive-"))
    tags = list(most_used(Tag, "articles", 200))
    authors = list(most_used(Author, "bylines", 100))
    more = next_pages("/latest/", archive)
    for section in sections:
        more += next_pages(section.get_absolute_url(), archive.filter(section=section))
    for tag in tags[:20]:
        more += next_pages(tag.get_absolute_url(), archive.filter(tags=tag), pages=2)
    stories = archive.exclude(pk=developing.pk).order_by("-published_at", "-pk")
    return surge.reader_urls(
        ["/", developing.get_absolute_url(), "/latest/"],
        [story.get_absolute_url() for story in stories[:700]],
        [section.get_absolute_url() for section in sections],
        [tag.get_absolute_url() for tag in tags],
        [author.get_absolute_url() for author in authors],
        more,
    )


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


def ab(page, baseline, pairs, seconds):
    """Page and baseline (each a function of the seconds to load for) in 2 * pairs
    interleaved slices of `seconds`, after a second of each to warm up: the page's
    slices and the baseline's, in pairs."""
    page(1)
    baseline(1)
    found = {"A": [], "B": []}
    for who in interleaved(pairs):
        found[who].append((page if who == "A" else baseline)(seconds))
    return found["A"], found["B"]


def compared(page_slices, baseline_slices, key="rps"):
    """A page's figures over its slices, and the paired ratios of `key` to its
    baseline's (requests/s, or latency for the deep page against page 1)."""
    ratios = paired_ratios(
        [one[key] for one in page_slices], [one[key] for one in baseline_slices]
    )
    return {
        "rps": median(one["rps"] for one in page_slices),
        "p50_ms": asdict(Spread.of(one["p50_ms"] for one in page_slices)),
        "p99_ms": asdict(Spread.of(one["p99_ms"] for one in page_slices)),
        "ratio": asdict(Spread.of(ratios)),
        "errors": sum(one["errors"] + one["timeouts"] for one in page_slices),
        "slices": page_slices,
        "baseline_slices": baseline_slices,
    }


def prepare(options):
    """The benchmark database, migrated and filled; the settings the servers run
    with."""
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
    return env, int(have) or options.articles


# What a run measures, in order; --only picks some.
PARTS = ("pages", "cached", "changing", "deep", "search", "beacon", "nginx", "surge")


def parser():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--pairs", type=int, default=8, help="page/baseline slice pairs per page"
    )
    parser.add_argument("--slice", type=int, default=2, help="seconds per slice")
    parser.add_argument(
        "--surge-slice", type=int, default=5, help="seconds per slice of the surge"
    )
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--port", type=int, default=0, help="first of 3 ports to use (default: free)"
    )
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--updates", type=int, default=1_000_000)
    parser.add_argument(
        "--soak", type=int, default=0, help="seconds of load to watch worker memory"
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=PARTS,
        help="measure only this (repeat for more); everything by default",
    )
    return parser


def parts_to_run(options):
    return set(options.only or PARTS)


def main():
    options = parser().parse_args()
    run = parts_to_run(options)
    for program in ("wrk", "redis-cli"):
        if not shutil.which(program):
            raise SystemExit(f"make bench needs {program}: apt-get install {program}")

    env, articles = prepare(options)
    pages, queries, sizes, beacon, first, (readers, developing) = pick_pages(env)
    say(f"{articles:,} archive articles; pages: {pages}")

    redis = reachable(*REDIS)
    cached_env = {**env, "PAGE_CACHE_SECONDS": "600"}
    if redis:
        cached_env["REDIS_URL"] = f"redis://{REDIS[0]}:{REDIS[1]}/{REDIS_DB}"
        subprocess.run(["redis-cli", "-n", REDIS_DB, "flushdb"], capture_output=True)
    uncached_env = {**env, "PAGE_CACHE_SECONDS": "0"}
    free = ports(options.port)
    uncached_port, cached_port = next(free), next(free)
    uncached = start_gunicorn(uncached_env, uncached_port, options.workers)
    cached = start_gunicorn(cached_env, cached_port, options.workers)
    rss_start = {"uncached": worker_rss(uncached), "cached": worker_rss(cached)}

    def load(port, path, connections=options.connections, **kwargs):
        """wrk on one page, as a function of the seconds to load for."""

        def slice_of(seconds):
            found = wrk(
                f"http://127.0.0.1:{port}{path}",
                seconds,
                connections,
                min(options.threads, connections),
                **kwargs,
            )
            # When wrk stops, the requests waiting in the server's queue are still
            # answered: wait for them (a health check answered last), or the next
            # slice, the other side of the pair, would pay for them.
            urlopen(f"http://127.0.0.1:{port}/healthz", timeout=120).read()
            return found

        return slice_of

    def baseline(name):
        return load(uncached_port, f"/bench/baseline/{kilobytes(sizes[name]) * 1024}/")

    results = {}

    def compare(label, page, against, seconds=options.slice, key="rps"):
        row = compared(*ab(page, against, options.pairs, seconds), key=key)
        results[label] = row
        say(
            f"{label:38} {row['rps']:7.0f} req/s  p50"
            f" {row['p50_ms']['median']:6.1f} ms  {Spread(**row['ratio']).describe()}"
        )

    scratch = RESULTS / "nginx"
    shutil.rmtree(scratch, ignore_errors=True)
    (scratch / "media").mkdir(parents=True)

    def through_nginx(nginx_port):
        """nginx's micro-cache in front of the cached site, and nginx sending a
        file of the article's size: as fast as a page can be served here."""
        static = scratch / "media" / "static.html"
        static.write_bytes(b"<p>" + b"x" * (sizes["article"] - 3))
        with running_nginx(
            scratch,
            f"127.0.0.1:{cached_port}",
            workers=2,
            connections=1024,
            port=nginx_port,
        ):
            for name in THROUGH_NGINX:
                compare(
                    f"{name} (nginx micro-cache)",
                    load(nginx_port, pages[name]),
                    baseline(name),
                )
            compare(
                "static file, article's size (nginx)",
                load(nginx_port, "/media/static.html"),
                baseline("article"),
            )

    updater, posted = None, 0
    try:
        for name, path in pages.items() if "pages" in run else ():
            compare(name, load(uncached_port, path), baseline(name))
        for name in CACHED if "cached" in run else ():
            compare(f"{name} (cached)", load(cached_port, pages[name]), baseline(name))
        if redis and "changing" in run:
            # Breaking news: the story changes every second, and every change makes
            # every cached page stale (what an update, a correction or a gift does).
            with changing_every_second():
                compare(
                    "developing story (cached, 1 change/s)",
                    load(cached_port, pages["developing story"]),
                    baseline("developing story"),
                )
        if "deep" in run:
            compare(
                "section deep / p1 latency",
                load(uncached_port, pages["section deep"]),
                load(uncached_port, pages["section p1"]),
                key="p50_ms",
            )
        if "search" in run:
            search = [
                load(uncached_port, pages["search"], connections=1)(options.slice)
                for _ in range(options.pairs)
            ]
            results["search (1 client)"] = {
                "p50_ms": asdict(Spread.of(one["p50_ms"] for one in search)),
                "slices": search,
            }
            p50 = Spread(**results["search (1 client)"]["p50_ms"])
            say(f"{'search (1 client)':38} p50 {p50.describe(1, ' ms')}")
        if beacon and "beacon" in run:
            compare(
                "appeal beacon",
                load(
                    uncached_port,
                    "/donate/events/",
                    script=ROOT / "bench" / "beacon.lua",
                    env={
                        **os.environ,
                        "BENCH_APPEAL": str(beacon[0]),
                        "BENCH_VARIANT": str(beacon[1]),
                    },
                ),
                baseline("article"),
            )

        if NGINX and "nginx" in run:
            through_nginx(next(free))
        elif "nginx" in run:
            say("no nginx (apt-get install nginx-light): no micro-cache figures")

        # The surge, on the cached site, with an update every 10 s.
        if "surge" in run:
            script = scratch / "surge.lua"
            weights = surge.zipf_weights(len(readers))
            script.write_text(surge.wrk_script(readers, weights))
            updater = subprocess.Popen(
                [
                    sys.executable,
                    "manage.py",
                    "shell",
                    "-c",
                    surge.updater_code(developing, every=10),
                ],
                cwd=ROOT,
                env=cached_env,
                stdout=subprocess.PIPE,
                text=True,
                start_new_session=True,
            )
            say(f"surge: {len(readers)} pages, an update every 10 s")
            load(cached_port, "/", script=script)(10)  # warm up: a first reader each
            compare(
                "surge",
                load(cached_port, "/", script=script),
                baseline("article"),
                seconds=options.surge_slice,
            )
        rss_end = {"uncached": worker_rss(uncached), "cached": worker_rss(cached)}
        soak = rss_soaked = None
        if options.soak:
            say(f"soak: {options.soak} s on the uncached article page")
            soak = load(uncached_port, pages["article"])(options.soak)
            rss_soaked = worker_rss(uncached)
    finally:
        if updater:
            os.killpg(updater.pid, signal.SIGTERM)
            posted = updater.communicate(timeout=20)[0].count("posted")
            manage(
                cached_env, "shell", "-c", surge.cleanup_code(developing), capture=True
            )
        for process in (uncached, cached):
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=20)

    print()
    print(
        f"{options.pairs} pairs of {options.slice} s slices per page (surge:"
        f" {options.surge_slice} s), page and baseline interleaved;"
        f" {options.connections} connections, {options.workers} workers"
    )
    print(
        f"{'page':40}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}"
        f"{'x base':>9}{'IQR':>16}{'range':>16}{'SQL':>5}{'errors':>7}"
    )
    for name, row in results.items():
        if "ratio" not in row:
            continue
        ratio = Spread(**row["ratio"])
        sql = queries.get(name) if name in pages else None
        print(
            f"{name:40}{row['rps']:8.0f}{row['p50_ms']['median']:8.2f}"
            f"{row['p99_ms']['median']:8.2f}{ratio.median:9.3f}"
            f"{f'{ratio.low:.3f}-{ratio.high:.3f}':>16}"
            f"{f'{ratio.min:.3f}-{ratio.max:.3f}':>16}"
            f"{'' if sql is None else sql:>5}{row['errors']:>7}"
        )
    print()
    verdicts = {}

    def judge(label, spread, target, at_least=True, digits=3, unit="x"):
        verdicts[label] = found = verdict(spread, target, at_least)
        print(f"{found:5} {label}: {spread.describe(digits, unit)}")

    for label, (names, minimum) in TARGETS.items():
        for name in names:
            if name in results:
                judge(f"{label} ({name})", Spread(**results[name]["ratio"]), minimum)
    for label, (name, figure, maximum, digits, unit) in LIMITS.items():
        if name in results:
            judge(label, Spread(**results[name][figure]), maximum, False, digits, unit)
    print(
        f"surge: {len(readers)} pages, Zipf-like popularity;"
        f" {posted} updates posted to the developing story, one every 10 s"
    )
    if "article (nginx micro-cache)" in results:
        nginx = Spread(**results["article (nginx micro-cache)"]["ratio"])
        static = Spread(**results["static file, article's size (nginx)"]["ratio"])
        print(
            f"nginx micro-cache: the article at {nginx.median:.2f}x the baseline, a"
            f" static file of its size at {static.median:.2f}x (the physical limit):"
            f" {nginx.median / static.median:.0%} of it"
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
    print(
        f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )

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
                "results": results,
                "surge": {"pages": readers, "updates_posted": posted},
                "soak": soak,
                "verdicts": verdicts,
                "worker_rss_mib": {
                    "start": rss_start,
                    "end": rss_end,
                    "after_soak": rss_soaked,
                },
                "cache": "redis" if redis else "locmem",
                "load_average": os.getloadavg(),
            },
            indent=2,
        )
    )
    say(f"results written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
