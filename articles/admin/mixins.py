"""What the article admins share: rich text warned about and shown rendered,
stories limited to those the user may open, times for change lists."""

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy

from richtext.fields import RichTextFormField
from richtext.removed import removed_markup_message
from richtext.templatetags.richtext import rich_text

from ..models import Article


class RichTextWarningsMixin:
    """Tells the editor, as the admin saves, what the sanitizer left out of each
    rich-text field of the form and its inlines (a script, an iframe, an unsafe
    link): it never vanishes without a word."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        self.warn_removed_markup(request, form)

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        for inline_form in formset.forms:
            if inline_form.has_changed() and inline_form not in formset.deleted_forms:
                self.warn_removed_markup(
                    request, inline_form, formset.model._meta.verbose_name
                )

    def warn_removed_markup(self, request, form, of=None):
        for name, field in form.fields.items():
            if not isinstance(field, RichTextFormField):
                continue
            label = f"{of} {field.label}" if of else field.label
            warning = removed_markup_message(
                str(label).lower(), form.cleaned_data.get(name)
            )
            if warning:
                self.message_user(request, warning, messages.WARNING)


def rendered(html):
    """Rich text shown read only as readers see it: sanitized again and rendered."""
    return format_html('<div class="rendered-text">{}</div>', rich_text(html))


def rendered_body_fields(fields):
    return ["rendered_body" if name == "body" else name for name in fields]


def only_visible_stories(request, queryset):
    """Rows of stories this user may open (Article.objects.visible_to)."""
    if request.user.has_perm("articles.publish_article"):
        return queryset
    return queryset.filter(article__in=Article.objects.visible_to(request.user))


class RenderedBodyMixin:
    """A read-only form (no change permission) shows the rich text rendered."""

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is not None and not self.has_change_permission(request, obj):
            return rendered_body_fields(fields)
        return fields

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "rendered_body"]

    @admin.display(description=gettext_lazy("Text"))
    def rendered_body(self, row):
        return rendered(row.body)


def compact_time(moment):
    """A time for a change list: the date and the clock time, which wrap between
    each other but never inside, so a narrow column takes two short lines."""
    if moment is None:
        return "-"
    local = timezone.localtime(moment)
    return format_html(
        '<time class="compact-time" datetime="{}"><span>{}</span> <span>{}</span>'
        "</time>",
        local.isoformat(),
        date_format(local, "DATE_FORMAT"),
        date_format(local, "TIME_FORMAT"),
    )
