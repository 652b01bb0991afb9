"""
The model field for every rich-text field of the site.

A CKEditor 5 field that sanitizes its HTML on save with
``articles.richtext.sanitize``, so the database only ever holds markup from the one
allowlist, whichever form, admin page, import or shell session wrote it. Templates
still render it through the ``rich_text`` filter, which sanitizes again: see
``articles.richtext`` for why both.
"""

from django import forms
from django_ckeditor_5.fields import CKEditor5Field

from .richtext import sanitize


class RichTextFormField(forms.CharField):
    def has_changed(self, initial, data):
        # The editor adds markup the sanitizer drops (an id on every list item), so
        # the text as it would be stored is compared: saving a form without touching
        # the text must not record "Changed Body" in the history.
        return sanitize(initial or "") != sanitize(self.to_python(data) or "")


class RichTextField(CKEditor5Field):
    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": RichTextFormField, **kwargs})

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
