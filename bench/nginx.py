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


def _start(root, upstream, workers, connections, port):
    """nginx started on port, its config in root/nginx.conf; None when the port
    was taken."""
    conf = root / "nginx.conf"
    conf.write_text(nginx_conf(root, upstream, port, workers, connections))
    error_log = root / "error.log"
    pid_file = root / "nginx.pid"
    pid_file.unlink(missing_ok=True)
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
            f"daemon off; pid {pid_file};",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 10
    while not pid_file.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            output = process.communicate()[0].decode()
            log = error_log.read_text() if error_log.exists() else ""
            if "Address already in use" in output + log:
                error_log.unlink(missing_ok=True)
                return None
            raise RuntimeError(f"nginx did not start:\n{output}\n{log}")
        time.sleep(0.05)
    socket.create_connection(("127.0.0.1", port), timeout=5).close()
    return process


@contextlib.contextmanager
def running_nginx(root: Path, upstream: str, workers=1, connections=64, port=None):
    """nginx with docker/nginx.conf (nginx_conf) in front of upstream, its files in
    root (media/ is the media volume); yields its base URL and the config file."""
    if NGINX is None:
        raise RuntimeError("no nginx binary: apt-get install nginx-light")
    (root / "media").mkdir(parents=True, exist_ok=True)
    # A free port can be taken by another program between free_port() and nginx's
    # bind (another test run on the machine): nginx then retries, fails and exits,
    # and the other program would answer our requests. So nginx counts as started
    # only once it has written its pid file, which it does after binding, and a
    # port lost that way is replaced by another.
    for _attempt in range(5):
        chosen = port or free_port()
        process = _start(root, upstream, workers, connections, chosen)
        if process is not None:
            break
        if port:
            raise RuntimeError(f"nginx could not bind port {port}: it is taken")
    else:
        raise RuntimeError("nginx could not bind a free port in 5 attempts")
    conf, error_log = root / "nginx.conf", root / "error.log"
    try:
        yield f"http://127.0.0.1:{chosen}", conf
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    log = error_log.read_text() if error_log.exists() else ""
    assert "[emerg]" not in log and "[crit]" not in log, log
