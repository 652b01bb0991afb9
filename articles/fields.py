"""
The model field for every rich-text field of the site, and its editor.

``RichTextField`` stores HTML that it sanitizes on save with
``articles.richtext.sanitize``, so the database only ever holds markup from the one
allowlist, whichever form, admin page, import or shell session wrote it. Templates
still render it through the ``rich_text`` filter, which sanitizes again: see
``articles.richtext`` for why both.

Forms edit it in CKEditor 5 (``RichTextEditor``): the official ``ckeditor5`` npm
package, pinned in package-lock.json, whose browser build is committed under
``static/vendor/ckeditor5/<version>/`` (``make vendor-ckeditor``), started by
``static/js/editor.js`` with the configuration named by the field's ``config_name``
in ``settings.CKEDITOR_5_CONFIGS``.
"""

import html
import json
import re
from functools import cache

from django import forms
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.urls import reverse
from django.utils.translation import get_language

from . import richtext
from .richtext import sanitize

# The version of the committed build under static/vendor/ckeditor5/. A test checks
# that it is the version package-lock.json pins and that the files are its own.
CKEDITOR_VERSION = "48.5.2"
CKEDITOR_STATIC = f"vendor/ckeditor5/{CKEDITOR_VERSION}"

_MEDIA_TAG = re.compile(r"<(img|video|audio|iframe|embed|object|source)\b", re.I)


def is_empty_html(value):
    """Whether HTML shows nothing: an emptied editor sends "<p>&nbsp;</p>"."""
    if not value:
        return True
    if _MEDIA_TAG.search(value):
        return False
    return not html.unescape(re.sub(r"<[^>]*>", "", value)).strip()


@cache
def _translation_for(language):
    """The editor's UI translation for a Django language code, if it has one."""
    code = (language or "en").lower()
    for candidate in (code, code.split("-")[0]):
        if candidate == "en" or candidate.startswith("en-"):
            return None
        path = f"{CKEDITOR_STATIC}/translations/{candidate}.umd.js"
        if finders.find(path):
            return candidate, path
    return None


def _html_support():
    """What CKEditor's General HTML Support keeps besides its own features: the
    sanitizer's allowlist, so that markup the site stores (a <dl>, a <del>, an id)
    survives an editor opening and saving the story. Nothing outside it."""
    return {
        "elements": sorted(richtext.ALLOWED_TAGS),
        "attributes": {
            tag: sorted(names) for tag, names in richtext.ALLOWED_ATTRIBUTES.items()
        },
        "idElements": sorted(richtext.ID_TAGS),
    }


class RichTextEditor(forms.Textarea):
    """A textarea that static/js/editor.js turns into CKEditor 5. Without JavaScript
    it stays a textarea of HTML, which the sanitizer cleans on save all the same."""

    def __init__(self, config_name="default", attrs=None):
        self.config_name = config_name
        super().__init__({"class": "rich-text-editor", "rows": 12, **(attrs or {})})

    @property
    def media(self):
        js = [f"{CKEDITOR_STATIC}/ckeditor5.umd.js"]
        translation = _translation_for(get_language())
        if translation:
            js.append(translation[1])
        js.append("js/editor.js")
        return forms.Media(
            css={"all": [f"{CKEDITOR_STATIC}/ckeditor5.css", "css/editor.css"]}, js=js
        )

    def editor_config(self):
        config = dict(settings.CKEDITOR_5_CONFIGS[self.config_name])
        translation = _translation_for(get_language())
        config["language"] = translation[0] if translation else "en"
        config["uploadUrl"] = reverse("articles:editor-image-upload")
        config["htmlSupport"] = _html_support()
        return config

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"]["data-editor-config"] = json.dumps(
            self.editor_config(), cls=DjangoJSONEncoder
        )
        return context


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
