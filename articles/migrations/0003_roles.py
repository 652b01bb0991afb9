"""The newsroom's roles as groups, with their permissions."""

from django.contrib.auth.management import create_permissions
from django.contrib.contenttypes.management import create_contenttypes
from django.db import migrations

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
    # Permissions are normally made after all migrations; roles need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_contenttypes(app_config, apps=apps, verbosity=0)
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, grants in ROLES.items():
        group, _ = Group.objects.get_or_create(name=role)
        for model_label, actions in grants.items():
            app_label, model = model_label.split(".")
            for action in actions:
                group.permissions.add(
                    Permission.objects.get(
                        content_type__app_label=app_label,
                        codename=f"{action}_{model}",
                    )
                )


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0002_editorial_core"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
