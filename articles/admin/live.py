"""Updates of developing stories and corrections: inlines on the article, and
their own admins."""

from django import forms
from django.contrib import admin, messages
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from newsroom.admin import RefuseStaleSavesMixin

from ..models import Article, Author, Byline, Correction, Update
from .forms import SingleLineField, one_line_box
from .mixins import (
    RenderedBodyMixin,
    RichTextWarningsMixin,
    compact_time,
    only_visible_stories,
    rendered_body_fields,
)


class UpdateListInline(admin.TabularInline):
    """The story's updates, listed on the article. Each is posted and edited in its
    own form ("Post an update"), so two people posting at once never collide with
    each other or with an edit of the article."""

    model = Update
    template = "admin/articles/article/updates_inline.html"
    fields = ["published_at", "state", "pinned", "author"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = gettext_lazy("Live updates")

    # A story live for days gathers hundreds of updates: its form lists the latest
    # (drafts first) and links to the rest in the updates list.
    shown = 20

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("author")
        story = request.resolver_match and request.resolver_match.kwargs.get(
            "object_id"
        )
        if story and str(story).isdigit():
            latest = Update.objects.filter(article_id=story).values("pk")
            queryset = queryset.filter(pk__in=latest[: self.shown])
        return queryset

    @admin.display(description=gettext_lazy("State"))
    def state(self, update):
        return update_state(update)


class CorrectionInline(RenderedBodyMixin, admin.StackedInline):
    model = Correction
    extra = 0
    fields = ["kind", "body", "prominent", "published_at"]
    verbose_name_plural = gettext_lazy(
        "Corrections, clarifications and editor's notes (shown to readers)"
    )


def update_state(update):
    if update.published_at is None:
        return _("Draft")
    if update.published_at > timezone.now():
        return _("Scheduled")
    return _("Published")


class UpdateForm(forms.ModelForm):
    publish_now = forms.BooleanField(
        label=gettext_lazy("Publish now"),
        required=False,
        help_text=gettext_lazy(
            "Stamps the update with the moment you save. Untick to keep it a draft or "
            "to set a time below."
        ),
    )

    class Meta:
        model = Update
        fields = ["article", "headline", "body", "author", "published_at", "pinned"]
        field_classes = {"headline": SingleLineField}
        widgets = {"headline": one_line_box()}


@admin.register(Update)
class UpdateAdmin(
    RefuseStaleSavesMixin, RichTextWarningsMixin, RenderedBodyMixin, admin.ModelAdmin
):
    form = UpdateForm
    list_display = ["__str__", "story", "state", "publish_time", "author", "pinned"]
    list_filter = ["pinned", "published_at"]
    list_select_related = ["article", "author"]
    search_fields = ["headline", "body", "article__headline"]
    autocomplete_fields = ["article", "author"]
    date_hierarchy = "published_at"
    actions = ["publish_selected_now"]

    @admin.display(description=gettext_lazy("State"))
    def state(self, update):
        return update_state(update)

    def get_queryset(self, request):
        return only_visible_stories(request, super().get_queryset(request))

    @admin.display(description=gettext_lazy("Story"), ordering="article__headline")
    def story(self, update):
        return update.article.headline

    @admin.display(description=gettext_lazy("Publish time"), ordering="published_at")
    def publish_time(self, update):
        return compact_time(update.published_at)

    def is_publisher(self, request):
        return request.user.has_perm("articles.publish_article")

    def get_fields(self, request, obj=None):
        fields = ["article", "headline", "body", "author"]
        if obj is not None and not self.has_change_permission(request, obj):
            return [*rendered_body_fields(fields), "published_at", "pinned"]
        if self.is_publisher(request):
            fields += ["publish_now", "published_at", "pinned"]
        return fields

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("publish_now", True)
        # Who posts it wrote it; someone without an author profile (an editor
        # relaying a reporter's call, say) posts under the story's first byline.
        author = Author.objects.filter(user=request.user).first()
        story = str(initial.get("article", ""))
        if author is None and story.isdigit():
            byline = (
                Byline.objects.filter(article_id=story)
                .order_by("position", "pk")
                .first()
            )
            author = byline and byline.author
        if author:
            initial.setdefault("author", author.pk)
        return initial

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "article":
            # New updates go to developing stories; an existing update keeps its own.
            current = request.resolver_match.kwargs.get("object_id")
            kwargs["queryset"] = (
                Article.objects.visible_to(request.user)
                .filter(Q(developing=True) | Q(updates__pk=current or 0))
                .distinct()
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "article" and formfield is not None:
            # A story is chosen here, never written or changed from an update.
            formfield.widget.can_add_related = False
            formfield.widget.can_change_related = False
            formfield.widget.can_delete_related = False
        return formfield

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        if obj is None or not allowed or self.is_publisher(request):
            return allowed
        # Writers' updates are drafts until an editor publishes them; until then the
        # writer may edit their own.
        return obj.created_by_id == request.user.pk and obj.published_at is None

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        if form.cleaned_data.get("publish_now") and self.is_publisher(request):
            obj.published_at = timezone.now()
        if not self.is_publisher(request) and not change:
            obj.published_at = None
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None):
        if "_addanother" in request.POST:
            # The next update goes to the same story.
            self.message_user(
                request,
                _("Update posted: %(state)s. Post the next one.")
                % {"state": update_state(obj)},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(
                reverse("admin:articles_update_add") + f"?article={obj.article_id}"
            )
        if "_continue" in request.POST:
            return super().response_add(request, obj, post_url_continue)
        self.message_user(
            request,
            _("Update posted: %(state)s.") % {"state": update_state(obj)},
            messages.SUCCESS,
        )
        return self.back_to_story(request, obj)

    def response_change(self, request, obj):
        if "_continue" in request.POST or "_addanother" in request.POST:
            return super().response_change(request, obj)
        self.message_user(
            request,
            _("Update saved: %(state)s.") % {"state": update_state(obj)},
            messages.SUCCESS,
        )
        return self.back_to_story(request, obj)

    def back_to_story(self, request, update):
        """After an update is saved: its story, where its updates are listed, or the
        story's updates for someone who may not open the story."""
        if (
            Article.objects.visible_to(request.user)
            .filter(pk=update.article_id)
            .exists()
        ):
            return HttpResponseRedirect(
                reverse("admin:articles_article_change", args=[update.article_id])
                + "#updates-group"
            )
        return HttpResponseRedirect(
            reverse("admin:articles_update_changelist")
            + f"?article__id__exact={update.article_id}"
        )

    @admin.action(
        description=gettext_lazy("Publish selected updates now"),
        permissions=["publish"],
    )
    def publish_selected_now(self, request, queryset):
        count = 0
        for update in queryset.filter(published_at__isnull=True):
            update.published_at = timezone.now()
            update.save()
            count += 1
        self.message_user(
            request,
            ngettext("%d update published.", "%d updates published.", count) % count,
            messages.SUCCESS,
        )

    def has_publish_permission(self, request):
        return self.is_publisher(request)


@admin.register(Correction)
class CorrectionAdmin(
    RefuseStaleSavesMixin, RichTextWarningsMixin, RenderedBodyMixin, admin.ModelAdmin
):
    """The newsroom's corrections log: every correction, clarification, editor's
    note and retraction, newest first. Each is also listed on its story's form."""

    list_display = ["__str__", "story", "kind", "shown_at", "prominent"]
    list_filter = ["kind", "prominent"]
    list_select_related = ["article"]
    search_fields = ["body", "article__headline"]
    autocomplete_fields = ["article"]
    date_hierarchy = "published_at"
    fields = ["article", "kind", "body", "prominent", "published_at"]

    def get_queryset(self, request):
        return only_visible_stories(request, super().get_queryset(request))

    @admin.display(description=gettext_lazy("Story"), ordering="article__headline")
    def story(self, correction):
        return correction.article.headline

    @admin.display(description=gettext_lazy("Publish time"), ordering="published_at")
    def shown_at(self, correction):
        return compact_time(correction.published_at)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
