"""How other apps reach the story page. `articles` imports none of them: they
call into it through what is described here, and nothing else.

Placements in a story body
    An app that puts something of its own after paragraph N of a story (donations:
    its inline appeals) registers, in its `AppConfig.ready()`, what it places::

        hooks.register_body_placements(_("inline appeal"), inline_appeals)

    `inline_appeals(article)` returns `(name, paragraph)` pairs, one for each thing
    that currently shows in that story after that paragraph. Editors are warned of
    any placed after a paragraph the body does not have (readers get it at the
    end): `body_placements(article)` is what the warnings read.

Previews of a page with extra context
    `articles.views.story_preview(request, article, template_name, extra_context)`
    and `articles.views.home_preview(request, template_name, extra_context)` render
    the story page (as its staff preview: every part fresh, warnings included) or
    the front page with the caller's template, which extends the page's own
    (`articles/article_detail.html`, `articles/home.html`), and the caller's
    context on top of the page's. The response is never cached nor indexed.

Slots in the page's templates
    The page templates place other apps' template tags in overridable blocks
    (`{% block appeal_head %}`, `appeal_top`, `appeal_overlay` in `base.html`;
    `{% inline_appeals article as appeal_inserts %}{% story_body story
    appeal_inserts %}` in `article_detail.html`, where `appeal_inserts` is a list of
    `(paragraph, HTML)` pairs). What those tags share while one page renders is
    theirs to keep in the template's `render_context`, never on the request.
"""

_body_placements = []


def register_body_placements(kind, placements):
    """Declare that `placements(article)` gives the `(name, paragraph)` pairs of
    something placed after a paragraph of a story's body; `kind` (translatable)
    names it for editors ("inline appeal")."""
    _body_placements.append((kind, placements))


def body_placements(article):
    """`(kind, name, paragraph)` for everything other apps place in this story's
    body, in the order they registered, then by paragraph."""
    for kind, placements in _body_placements:
        found = sorted(placements(article), key=lambda pair: pair[1])
        yield from ((kind, name, paragraph) for name, paragraph in found)
