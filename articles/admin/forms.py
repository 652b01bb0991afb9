"""The article form, and the fields and widgets of editorial forms."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_datetime
from django.utils.text import get_text_list
from django.utils.translation import gettext as _

from newsroom.admin import https_urls

from .. import revisions
from ..links import format_local
from ..models import EDITORIAL_FIELDS, Article


class SingleLineField(forms.CharField):
    """A headline, dek or search-engine text: saved as one line, whatever was pasted
    into its box (see one_line_box)."""

    def to_python(self, value):
        return " ".join(super().to_python(value).split())


def one_line_box(rows=2):
    """A box tall enough to read all of a headline or dek (an <input> cuts a long one
    off), with a character count under it (js/admin-forms.js)."""
    return forms.Textarea(attrs={"rows": rows, "class": "one-line", "data-counter": ""})


class ArticleForm(forms.ModelForm):
    """Carries the edit counter the editor loaded, so a save made by someone else in
    the meantime is never silently overwritten."""

    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    loaded_at = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Article
        fields = [
            *EDITORIAL_FIELDS,
            "published_at",
            "unpublish_at",
            "updated_materially_at",
            "developing",
            "no_appeals",
        ]
        formfield_callback = https_urls
        field_classes = dict.fromkeys(
            ["headline", "dek", "seo_title", "seo_description"], SingleLineField
        )
        widgets = {
            "headline": one_line_box(),
            "dek": one_line_box(rows=3),
            "seo_title": one_line_box(),
            "seo_description": one_line_box(rows=3),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["loaded_version"].initial = self.instance.version
            self.fields["loaded_at"].initial = self.instance.updated_at.isoformat()

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            self.check_not_stale(cleaned)
        return cleaned

    def check_not_stale(self, cleaned):
        # Locks the row until this save commits, so two simultaneous saves are
        # serialised and the second sees the first one's counter.
        current = (
            Article.objects.select_for_update()
            .filter(pk=self.instance.pk)
            .values("version", "updated_at")
            .first()
        )
        loaded = cleaned.get("loaded_version")
        if current is None or loaded == current["version"]:
            return
        loaded_at = (
            parse_datetime(cleaned.get("loaded_at") or "") or current["updated_at"]
        )
        newer, changed = revisions.saves_since(self.instance, loaded_at)
        who = sorted(
            {
                (v.revision.user.get_full_name() or v.revision.user.get_username())
                for v in newer
                if v.revision.user
            }
        ) or [_("someone else")]
        when = format_local(current["updated_at"])
        message = _(
            "%(who)s saved this article at %(when)s, after you opened it. "
            "Your changes have NOT been saved, so nothing of theirs was overwritten. "
        ) % {"who": get_text_list(who, _("and")), "when": when}
        if changed:
            message += _("They changed: %(fields)s. ") % {"fields": ", ".join(changed)}
        message += _(
            "Copy what you need from this page, then reload the article to edit "
            "the latest version."
        )
        raise ValidationError(message, code="stale")
