"""Background tasks: the database queue, a real worker process, its health check."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
import yaml
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from django_tasks import TaskResultStatus, task_backends
from django_tasks_db.models import DBTaskResult

from newsroom import settings as project_settings
from newsroom.tasks import heartbeat

ROOT = Path(__file__).resolve().parent.parent


def database_url():
    """The test database, as a URL another process can open."""
    db = connection.settings_dict
    host = quote(db["HOST"] or "", safe="")
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{user}{password}@{host}{port}/{db['NAME']}"


@pytest.fixture
def worker(db_tasks):
    """`manage.py db_worker` in its own process, on the test database."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DJANGO_DEBUG": "1",
        "PYTHONUNBUFFERED": "1",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "db_worker",
            "--no-reload",
            "--no-startup-delay",
            "--interval",
            "0.1",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    yield process
    if process.poll() is None:
        process.kill()
        process.wait(timeout=10)


def wait_for(result, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result.refresh()
        if result.status in (TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED):
            return result
        time.sleep(0.1)
    raise AssertionError(f"no worker finished the task within {timeout} s")


def test_production_queues_tasks_in_the_database():
    backend = project_settings.TASKS["default"]["BACKEND"]
    assert backend == "django_tasks_db.DatabaseBackend"


def test_tests_run_tasks_at_once_unless_they_ask_for_the_queue():
    result = heartbeat.enqueue()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == "ok"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_process_runs_queued_tasks_and_stops_cleanly(worker):
    result = heartbeat.enqueue()
    assert task_backends["default"].__class__.__name__ == "DatabaseBackend"
    assert DBTaskResult.objects.filter(id=result.id).exists()
    wait_for(result)
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == "ok"
    assert result.worker_ids  # a worker claimed it

    # The health check is answered by the live worker, and leaves no row behind.
    call_command("worker_health", timeout=20)
    assert DBTaskResult.objects.count() == 1

    # SIGTERM (docker stop, or Ctrl-C in `make run`): a graceful exit.
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=20) == 0
    assert "shutting down gracefully" in worker.stdout.read()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_health_check_fails_without_a_worker(db_tasks):
    with pytest.raises(CommandError, match="no worker ran the heartbeat"):
        call_command("worker_health", timeout=0.5)
    assert not DBTaskResult.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_busy_with_a_long_task_is_healthy(db_tasks, capsys):
    busy = heartbeat.enqueue()
    DBTaskResult.objects.filter(id=busy.id).update(
        status=TaskResultStatus.RUNNING,
        started_at=timezone.now() - timedelta(seconds=60),
    )
    call_command("worker_health", timeout=0.5)
    assert "busy with newsroom.tasks.heartbeat" in capsys.readouterr().out
    # ... but not forever: a task running past --busy-for is a stuck worker.
    with pytest.raises(CommandError):
        call_command("worker_health", timeout=0.5, busy_for=30)


def test_compose_runs_the_worker_from_the_web_image_with_a_real_health_check():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    web, worker = compose["services"]["web"], compose["services"]["worker"]
    assert worker["build"] == web["build"]
    assert worker["environment"] == web["environment"]
    assert worker["command"][:3] == ["python", "manage.py", "db_worker"]
    assert worker["depends_on"]["db"]["condition"] == "service_healthy"
    assert "worker_health" in worker["healthcheck"]["test"]
