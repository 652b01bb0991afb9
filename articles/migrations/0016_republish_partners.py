"""Sites confirmed as republishing partners (the pixel counts views by name only
for them); canonical URLs are http(s) only."""

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from articles.migrations import _roles

# Editors confirm the sites that republish the newsroom's stories; everyone sees
# them beside the counts.
GRANTS = {
    "Writer": {"articles.republishpartner": ["view"]},
    "Editor": {"articles.republishpartner": ["view", "add", "change", "delete"]},
    "Site admin": {"articles.republishpartner": ["view", "add", "change", "delete"]},
}


def grant(apps, schema_editor):
    _roles.grant(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0015_body_text"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="article",
            name="canonical_url",
            field=models.URLField(
                blank=True,
                help_text="Only for a story first published elsewhere: the original's address.",
                validators=[
                    django.core.validators.URLValidator(schemes=["http", "https"])
                ],
                verbose_name="canonical URL",
            ),
        ),
        migrations.AlterField(
            model_name="republishcount",
            name="host",
            field=models.CharField(
                blank=True,
                help_text="The confirmed republishing partner showing the copy. Empty for every other site, and when the browser did not say.",
                max_length=253,
                verbose_name="site",
            ),
        ),
        migrations.CreateModel(
            name="RepublishPartner",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                (
                    "host",
                    models.CharField(
                        help_text="The host name of the partner's site, e.g. “news.example.org” (its subdomains count too).",
                        max_length=253,
                        unique=True,
                        validators=[
                            django.core.validators.RegexValidator(
                                "\\A[a-z0-9-]+(\\.[a-z0-9-]+)+\\Z",
                                "Enter the site's host name, e.g. news.example.org.",
                            )
                        ],
                        verbose_name="site",
                    ),
                ),
                (
                    "name",
                    models.CharField(blank=True, max_length=200, verbose_name="name"),
                ),
                (
                    "confirmed_at",
                    models.DateTimeField(
                        auto_now_add=True, verbose_name="confirmed at"
                    ),
                ),
                (
                    "confirmed_by",
                    models.ForeignKey(
                        editable=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="confirmed by",
                    ),
                ),
            ],
            options={
                "verbose_name": "republishing partner",
                "verbose_name_plural": "republishing partners",
                "ordering": ["host"],
            },
        ),
        migrations.RunPython(grant, migrations.RunPython.noop),
    ]
