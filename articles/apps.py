from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ArticlesConfig(AppConfig):
    name = "articles"
    verbose_name = _("Articles")

    def ready(self):
        from django.db.models import Min
        from django.utils import timezone

        from newsroom import cache

        from . import models, renditions, signals  # noqa: F401 (receivers connect on import)

        # Anything a reader page shows: a change makes every cached page stale.
        cache.invalidate_on(
            models.Article,
            models.Byline,
            models.Section,
            models.Tag,
            models.Author,
            models.Image,
            models.Update,
            models.Correction,
            models.Speaker,
            models.Quote,
            models.PullQuote,
            models.OldSlug,
        )

        @cache.schedule
        def next_scheduled_content():
            now = timezone.now()
            return min(
                filter(
                    None,
                    [
                        models.Article.objects.scheduled().aggregate(
                            t=Min("published_at")
                        )["t"],
                        models.Article.objects.expiring().aggregate(
                            t=Min("unpublish_at")
                        )["t"],
                        models.Update.objects.filter(published_at__gt=now).aggregate(
                            t=Min("published_at")
                        )["t"],
                        models.Correction.objects.filter(
                            published_at__gt=now
                        ).aggregate(t=Min("published_at"))["t"],
                    ],
                ),
                default=None,
            )
