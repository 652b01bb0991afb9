"""
CKEditor 5 for every rich-text field (``RichTextEditor``): the official ``ckeditor5``
npm package, pinned in package-lock.json, whose browser build is committed under
``static/vendor/ckeditor5/<version>/`` (``make vendor-ckeditor``), started by
``static/js/editor.js`` with the configuration named by the field's ``config_name``
in ``settings.CKEDITOR_5_CONFIGS``.

Images dropped into the editor go to the articles app's upload endpoint
(``articles:editor-image-upload``), the one place that stores them.
"""

import json
from functools import cache

from django import forms
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.serializers.json import DjangoJSONEncoder
from django.urls import reverse
from django.utils.translation import get_language

from .sanitize import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, ID_TAGS

# The version of the committed build under static/vendor/ckeditor5/. A test checks
# that it is the version package-lock.json pins and that the files are its own.
CKEDITOR_VERSION = "48.5.2"
CKEDITOR_STATIC = f"vendor/ckeditor5/{CKEDITOR_VERSION}"


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
        "elements": sorted(ALLOWED_TAGS),
        "attributes": {tag: sorted(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        "idElements": sorted(ID_TAGS),
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
