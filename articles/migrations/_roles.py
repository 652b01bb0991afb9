"""Granting permissions to the newsroom's roles from data migrations."""

from django.contrib.auth.management import create_permissions
from django.contrib.contenttypes.management import create_contenttypes


def grant(apps, grants):
    """grants: {group name: {"app.model": ["view", "add", ...]}}. Groups are created
    when missing; existing permissions are kept."""
    # Permissions are normally made after all migrations; the grants need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_contenttypes(app_config, apps=apps, verbosity=0)
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, models in grants.items():
        group, _ = Group.objects.get_or_create(name=role)
        for model_label, actions in models.items():
            app_label, model = model_label.split(".")
            for action in actions:
                group.permissions.add(
                    Permission.objects.get(
                        content_type__app_label=app_label,
                        codename=f"{action}_{model}",
                    )
                )
