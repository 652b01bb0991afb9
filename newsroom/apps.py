from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class NewsroomAdminConfig(AdminConfig):
    """Django's admin, on the newsroom's site (newsroom.admin)."""

    default_site = "newsroom.admin.NewsroomAdminSite"


class NewsroomConfig(AppConfig):
    """The project's own commands and tasks (worker_health, backup, restore,
    newsroom.tasks)."""

    name = "newsroom"
    verbose_name = "Newsroom"

    def ready(self):
        from . import checks  # noqa: F401 (registers the system checks)
