"""The newsroom's roles as groups, with their permissions."""

from django.db import migrations

from articles.migrations import _roles

ROLES = {
    # Writers draft and submit; the model refuses them publishing whatever they send.
    "Writer": {
        "articles.article": ["view", "add", "change"],
        "articles.byline": ["view", "add", "change", "delete"],
        "articles.image": ["view", "add", "change"],
        "articles.tag": ["view", "add"],
        "articles.section": ["view"],
        "articles.author": ["view"],
    },
    "Editor": {
        "articles.article": ["view", "add", "change", "delete", "publish"],
        "articles.byline": ["view", "add", "change", "delete"],
        "articles.image": ["view", "add", "change", "delete"],
        "articles.tag": ["view", "add", "change", "delete"],
        "articles.section": ["view", "add", "change", "delete"],
        "articles.author": ["view", "add", "change", "delete"],
    },
    "Fundraising": {
        "articles.article": ["view"],
        "articles.section": ["view"],
    },
    "Site admin": {
        "auth.user": ["view", "add", "change", "delete"],
        "auth.group": ["view", "add", "change", "delete"],
        "articles.article": ["view", "add", "change", "delete", "publish"],
        "articles.byline": ["view", "add", "change", "delete"],
        "articles.image": ["view", "add", "change", "delete"],
        "articles.tag": ["view", "add", "change", "delete"],
        "articles.section": ["view", "add", "change", "delete"],
        "articles.author": ["view", "add", "change", "delete"],
    },
}


def create_roles(apps, schema_editor):
    _roles.grant(apps, ROLES)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0002_editorial_core"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
