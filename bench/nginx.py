"""docker/nginx.conf run on this machine, in front of a local gunicorn: used by
`make bench` (pages through the micro-cache) and by tests/test_microcache.py and
tests/test_topology.py (what the micro-cache stores and for whom).

Needs an `nginx` binary (Debian: apt-get install nginx-light).
"""

import contextlib
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

CONF = Path(__file__).resolve().parent.parent / "docker" / "nginx.conf"

NGINX = shutil.which("nginx") or next(
    (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)),
    None,
)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def nginx_conf(root: Path, upstream: str, port: int, workers=1, connections=64):
    """docker/nginx.conf as compose mounts it (inside `http {}`), with the upstream,
    the port, the media folder and the cache folder moved to root."""
    server = docker_conf = CONF.read_text()
    for old, new in (
        ("server web:8000;", f"server {upstream};"),
        ("listen 80;", f"listen 127.0.0.1:{port};"),
        ("alias /srv/media/;", f"alias {root / 'media'}/;"),
        ("/var/cache/nginx/newsroom", str(root / "cache")),
    ):
        assert old in docker_conf, f"{old!r} is no longer in docker/nginx.conf"
        server = server.replace(old, new)
    # Running as root, workers would otherwise switch to `nobody`, who cannot write
    # to these folders.
    user = "user root;" if os.geteuid() == 0 else ""
    return f"""
{user}
worker_processes {workers};
events {{ worker_connections {connections}; }}
http {{
    access_log off;
    client_body_temp_path {root / "client_body"};
    proxy_temp_path {root / "proxy"};
{server}
}}
"""


@contextlib.contextmanager
def running_nginx(root: Path, upstream: str, workers=1, connections=64, port=None):
    """nginx with docker/nginx.conf (nginx_conf) in front of upstream, its files in
    root (media/ is the media volume); yields its base URL and the config file."""
    if NGINX is None:
        raise RuntimeError("no nginx binary: apt-get install nginx-light")
    (root / "media").mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    conf = root / "nginx.conf"
    conf.write_text(nginx_conf(root, upstream, port, workers, connections))
    error_log = root / "error.log"
    process = subprocess.Popen(
        [
            NGINX,
            "-p",
            str(root),
            "-c",
            str(conf),
            "-e",
            str(error_log),
            "-g",
            f"daemon off; pid {root / 'nginx.pid'};",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                output = process.communicate()[0].decode()
                log = error_log.read_text() if error_log.exists() else ""
                raise RuntimeError(f"nginx did not start:\n{output}\n{log}") from None
            time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", conf
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    log = error_log.read_text() if error_log.exists() else ""
    assert "[emerg]" not in log and "[crit]" not in log, log
