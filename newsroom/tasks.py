"""Tasks every deployment has, whatever its apps: the worker's own health check."""

from django_tasks import task
from django_tasks.base import TASK_MAX_PRIORITY


@task(priority=TASK_MAX_PRIORITY)
def heartbeat():
    """Run by a worker to prove it takes tasks (manage.py worker_health)."""
    return "ok"
