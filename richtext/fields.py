"""
The model field for every rich-text field of the site, and its form field.

``RichTextField`` stores HTML that it sanitizes on save with
``richtext.sanitize.sanitize``, so the database only ever holds markup from the one
allowlist, whichever form, admin page, import or shell session wrote it. Templates
still render it through the ``rich_text`` filter, which sanitizes again: see
``richtext.sanitize`` for why both. Forms edit it in CKEditor 5
(``richtext.widgets.RichTextEditor``).
"""

import html
import re

from django import forms
from django.db import models

from .sanitize import sanitize
from .widgets import RichTextEditor

_MEDIA_TAG = re.compile(r"<(img|video|audio|iframe|embed|object|source)\b", re.I)


def is_empty_html(value):
    """Whether HTML shows nothing: an emptied editor sends "<p>&nbsp;</p>"."""
    if not value:
        return True
    if _MEDIA_TAG.search(value):
        return False
    return not html.unescape(re.sub(r"<[^>]*>", "", value)).strip()


class RichTextFormField(forms.CharField):
    def __init__(self, *, config_name="default", **kwargs):
        kwargs.setdefault("widget", RichTextEditor(config_name=config_name))
        super().__init__(**kwargs)

    def to_python(self, value):
        # An emptied editor still sends a paragraph: that is no text, so a required
        # field says so instead of storing "<p>&nbsp;</p>".
        value = super().to_python(value)
        return "" if is_empty_html(value) else value

    def has_changed(self, initial, data):
        # The editor adds markup the sanitizer drops (an id on every list item), so
        # the text as it would be stored is compared: saving a form without touching
        # the text must not record "Changed Body" in the history.
        return sanitize(initial or "") != sanitize(self.to_python(data) or "")


class RichTextField(models.Field):
    # A text column, but not a TextField subclass: the admin would give every
    # TextField (and subclass) its plain textarea widget.
    def __init__(self, *args, config_name="default", **kwargs):
        self.config_name = config_name
        super().__init__(*args, **kwargs)

    def get_internal_type(self):
        return "TextField"

    def formfield(self, **kwargs):
        return super().formfield(
            **{
                "form_class": RichTextFormField,
                "config_name": self.config_name,
                **kwargs,
            }
        )

    def deconstruct(self):
        # Without config_name a migration would quietly drop a field's editor
        # configuration. The path is this module's, whatever editor is behind it.
        name, path, args, kwargs = super().deconstruct()
        if self.config_name != "default":
            kwargs["config_name"] = self.config_name
        return name, path, args, kwargs

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if self.blank and value and is_empty_html(value):
            return ""
        return value

    def pre_save(self, model_instance, add):
        value = getattr(model_instance, self.attname)
        if value:
            value = sanitize(value)
            setattr(model_instance, self.attname, value)
        return value
