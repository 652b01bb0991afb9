"""Permissions for campaigns, appeals, their results and the donations ledger."""

from django.db import migrations

from articles.migrations import _roles

EVERYTHING = ["view", "add", "change", "delete"]

GRANTS = {
    # Fundraising runs campaigns and appeals, reads their results (the daily counts)
    # and records gifts. Removing a gift from the ledger is left to site admins.
    "Fundraising": {
        "donations.campaign": EVERYTHING,
        "donations.appeal": EVERYTHING,
        "donations.appealvariant": EVERYTHING,
        "donations.appealsettings": ["view", "change"],
        "donations.appealdailycount": ["view"],
        "donations.donation": ["view", "add", "change"],
        "donations.stripeevent": ["view"],
    },
    "Site admin": {
        "donations.campaign": EVERYTHING,
        "donations.appeal": EVERYTHING,
        "donations.appealvariant": EVERYTHING,
        "donations.appealsettings": ["view", "change"],
        "donations.appealdailycount": ["view"],
        "donations.donation": EVERYTHING,
        "donations.stripeevent": ["view"],
    },
}


def grant(apps, schema_editor):
    _roles.grant(apps, GRANTS)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    for group in Group.objects.filter(name__in=GRANTS):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="donations")
        )


class Migration(migrations.Migration):
    dependencies = [
        ("donations", "0001_initial"),
        ("articles", "0003_roles"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
