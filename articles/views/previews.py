"""Pages shown before readers see them: drafts through signed preview links, and
the story and front pages rendered for other apps' previews (articles.hooks)."""

from django.conf import settings
from django.core import signing
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from ..models import Article
from .access import mark_preview
from .listing import HomeView
from .story import ArticleDetailView

PREVIEW_SALT = "articles.preview"


def preview_link_for(article):
    token = signing.dumps(
        {"article": article.pk, "generation": article.preview_generation},
        salt=PREVIEW_SALT,
    )
    return reverse("articles:preview", kwargs={"token": token})


def preview_unavailable(request, status, heading, explanation):
    """Why a preview link shows nothing, in words for the outside reviewer who
    followed it (never the generic "page not found")."""
    response = render(
        request,
        "articles/preview_unavailable.html",
        {"heading": heading, "explanation": explanation},
        status=status,
    )
    mark_preview(response)
    return response


@never_cache
def preview(request, token):
    """A draft shown to someone without an account, through an expiring signed link
    that editors can revoke (workflow.revoke_preview_links). A link that no longer
    works says why, with 410 Gone when it once worked."""
    ask = _("Ask the newsroom for a new one.")
    try:
        data = signing.loads(
            token, salt=PREVIEW_SALT, max_age=settings.PREVIEW_LINK_MAX_AGE
        )
    except signing.SignatureExpired:
        return preview_unavailable(
            request, 410, _("This preview link has expired"), ask
        )
    except signing.BadSignature:
        return preview_unavailable(
            request,
            404,
            _("This preview link is not valid"),
            _(
                "The address may have been cut short or changed when it was copied. "
                "Check it, or ask the newsroom for a new link."
            ),
        )
    pk, generation = data.get("article"), data.get("generation", 0)
    article = Article.objects.for_page().filter(pk=pk).first()
    if article is None:
        return preview_unavailable(
            request,
            410,
            _("This story is no longer available"),
            _("The newsroom has removed the story this link was made for."),
        )
    if generation != article.preview_generation:
        return preview_unavailable(
            request,
            410,
            _("This preview link has been withdrawn"),
            _("The newsroom has revoked the preview links to this story. %(ask)s")
            % {"ask": ask},
        )
    return story_preview(request, article)


def story_preview(request, article, template_name=None, extra_context=None):
    """The story page with every part fresh, as a preview that is never cached nor
    indexed: for a signed link, and for other apps (articles.hooks), whose
    `template_name` extends the page's template and whose `extra_context` goes on
    top of the page's."""
    view = ArticleDetailView(object=article)
    view.setup(request)
    context = view.story_context(article, loaded=True)
    return preview_response(
        request, template_name or view.template_name, context, extra_context
    )


def home_preview(request, template_name, extra_context=None):
    """The front page as a preview (articles.hooks), as `story_preview`."""
    view = HomeView()
    view.setup(request)
    return preview_response(
        request, template_name, view.get_context_data(), extra_context
    )


def preview_response(request, template_name, context, extra_context):
    response = TemplateResponse(
        request, template_name, {**context, **(extra_context or {})}
    )
    mark_preview(response)
    return response
