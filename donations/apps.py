from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DonationsConfig(AppConfig):
    name = "donations"
    verbose_name = _("Donations")

    def ready(self):
        from django.utils import timezone

        from articles import hooks
        from newsroom import cache

        from . import models

        # Reader pages carry their appeals and campaign totals: any change to them
        # makes cached pages stale. Gifts included, so that progress bars and the
        # progress JSON agree with the ledger (CSV imports bump explicitly, as
        # bulk_create sends no signals).
        cache.invalidate_on(
            models.Campaign,
            models.Appeal,
            models.AppealVariant,
            models.AppealSettings,
            models.Donation,
        )

        @cache.schedule
        def next_appeal_change():
            """Appeals and campaigns that start or end by themselves."""
            now = timezone.now()
            moments = [
                model.objects.next_change(now)
                for model in (models.Appeal, models.Campaign)
            ]
            return min(filter(None, moments), default=None)

        def inline_appeals(article):
            """What readers of `article` get after paragraph N: its running inline
            appeals (articles.hooks)."""
            return (
                models.Appeal.objects.running()
                .for_page({models.Placement.INLINE}, article=article)
                .order_by("paragraph", "pk")
                .values_list("name", "paragraph")
            )

        hooks.register_body_placements(_("inline appeal"), inline_appeals)
