from django.conf import settings
from django.core.validators import RegexValidator
from django.db import connection, models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .article import Article


def _host_and_parents(host):
    """ "news.partner.example" -> ["news.partner.example", "partner.example"]: the
    names a confirmed partner's site may be recorded under."""
    labels = host.split(".")
    return [".".join(labels[i:]) for i in range(len(labels) - 1)] or [host]


class RepublishCountQuerySet(models.QuerySet):
    def record(self, article_id, host, day=None):
        """Count one view of a republished copy, in one atomic statement (insert, or
        add one to the day's row), so views arriving together never lose a count.
        Only a published article counts. The view is counted for the site showing
        it only if a staff member confirmed that site as a republishing partner
        (RepublishPartner): the Referer is the browser's word, and anyone may send
        any. Every other site is counted in one row, with no name, so that junk
        cannot add a row per made-up site. Returns whether it was counted."""
        day = day or timezone.localdate()
        published = Article.objects.published().filter(pk=article_id).values("pk")
        subquery, params = published.query.sql_with_params()
        table = self.model._meta.db_table
        partners = RepublishPartner._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (article_id, host, day, views) "
                "SELECT published.id, COALESCE("
                f"(SELECT host FROM {partners} WHERE host = ANY(%s)"
                " ORDER BY length(host) DESC LIMIT 1), ''), "
                f"%s, 1 FROM ({subquery}) AS published (id) "
                "ON CONFLICT (article_id, host, day) "
                f"DO UPDATE SET views = {table}.views + 1",
                [_host_and_parents(host) if host else [], day, *params],
            )
            return cursor.rowcount == 1


class RepublishPartner(models.Model):
    """A site a staff member confirmed republishes our stories: the republish
    pixel counts views under its name (and its subdomains'). Views from any other
    site are counted together, without a name."""

    host = models.CharField(
        _("site"),
        max_length=253,
        unique=True,
        validators=[
            RegexValidator(
                r"\A[a-z0-9-]+(\.[a-z0-9-]+)+\Z",
                _("Enter the site's host name, e.g. news.example.org."),
            )
        ],
        help_text=_(
            "The host name of the partner's site, e.g. “news.example.org” "
            "(its subdomains count too)."
        ),
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        editable=False,
        related_name="+",
        verbose_name=_("confirmed by"),
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), auto_now_add=True)

    class Meta:
        ordering = ["host"]
        verbose_name = _("republishing partner")
        verbose_name_plural = _("republishing partners")

    def __str__(self):
        return self.name or self.host


class RepublishCount(models.Model):
    """How often a republished copy of an article was read on another site, per day:
    counted by the pixel in the copy. Aggregates only: no cookie is set, no address
    or reader is recorded."""

    article = models.ForeignKey(
        Article,
        on_delete=models.CASCADE,
        related_name="republish_counts",
        verbose_name=_("article"),
    )
    host = models.CharField(
        _("site"),
        max_length=253,
        blank=True,
        help_text=_(
            "The confirmed republishing partner showing the copy. Empty for every "
            "other site, and when the browser did not say."
        ),
    )
    day = models.DateField(_("day"))
    views = models.PositiveIntegerField(_("views"), default=0)

    objects = RepublishCountQuerySet.as_manager()

    class Meta:
        ordering = ["-day", "-views"]
        verbose_name = _("republished views")
        verbose_name_plural = _("republished views")
        constraints = [
            models.UniqueConstraint(
                fields=["article", "host", "day"], name="republish_count_per_day"
            )
        ]

    def __str__(self):
        return f"{self.host or '?'} {self.day}: {self.views}"
