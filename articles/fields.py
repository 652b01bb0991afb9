"""
The model field for every rich-text field of the site.

A CKEditor 5 field that sanitizes its HTML on save with
``articles.richtext.sanitize``, so the database only ever holds markup from the one
allowlist, whichever form, admin page, import or shell session wrote it. Templates
still render it through the ``rich_text`` filter, which sanitizes again: see
``articles.richtext`` for why both.
"""

from django_ckeditor_5.fields import CKEditor5Field

from .richtext import sanitize


class RichTextField(CKEditor5Field):
    def deconstruct(self):
        # CKEditor5Field doesn't deconstruct config_name; without this a migration would
        # quietly drop a field's editor configuration.
        name, path, args, kwargs = super().deconstruct()
        if self.config_name != "default":
            kwargs["config_name"] = self.config_name
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        value = getattr(model_instance, self.attname)
        if value:
            value = sanitize(value)
            setattr(model_instance, self.attname, value)
        return value
