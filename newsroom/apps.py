from django.contrib.admin.apps import AdminConfig


class NewsroomAdminConfig(AdminConfig):
    """Django's admin, on the newsroom's site (newsroom.admin)."""

    default_site = "newsroom.admin.NewsroomAdminSite"
