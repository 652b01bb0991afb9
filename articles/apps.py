from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ArticlesConfig(AppConfig):
    name = "articles"
    verbose_name = _("Articles")

    def ready(self):
        from django.db.models import Min
        from django.db.models.signals import post_init
        from django.utils import timezone

        from newsroom import cache

        from . import models, renditions, signals  # noqa: F401 (receivers connect on import)

        # Anything a reader page shows: a change makes the cached pages that show it
        # stale (newsroom.cache). A story's own rows bump the story; the story
        # itself, and its bylines, also what lists show; anything else the site.
        def story(row):
            return (cache.story(row.article_id),)

        def story_and_lists(row):
            return (cache.story(row.pk), cache.LISTINGS)

        def byline(row):
            return (cache.story(row.article_id), cache.LISTINGS)

        cache.invalidate_on(models.Article, subjects=story_and_lists)
        cache.invalidate_on(models.Byline, subjects=byline)
        cache.invalidate_on(
            models.Update, models.Correction, models.PullQuote, subjects=story
        )
        cache.invalidate_on(
            models.Section,
            models.Tag,
            models.Author,
            models.Image,
            models.Speaker,
            models.Quote,
            models.OldSlug,
        )

        def loaded(sender, instance, **kwargs):
            """A page rendered for the cache depends on every story it loaded."""
            if instance.pk is not None:
                cache.depends_on(cache.story(instance.pk))

        post_init.connect(loaded, sender=models.Article, weak=False)
        # Pages showing the site, lists of stories and the stories they loaded
        # (their updates, corrections, cards): no other story changes them.
        cache.scoped_views(
            *(
                f"articles:{name}"
                for name in (
                    "home",
                    "latest",
                    "section",
                    "tag",
                    "author",
                    "archive-year",
                    "archive-month",
                    "archive-day",
                    "detail",
                    "updates",
                    "updates-archive",
                )
            )
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
