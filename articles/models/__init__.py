"""
The articles app's models, one module per subject:

- taxonomy: Section, Tag
- media: Image
- people: Author, Byline
- query: the statuses, the one definition of published, ArticleQuerySet
- article: Article, OldSlug
- live: Update, Correction (parts of a story with their own publish time)
- quotes: Speaker, Quote, PullQuote
- republish: RepublishPartner, RepublishCount
- workflow: WorkflowNote, its steps and WorkflowError

What editors do to a story (submit, publish, restore...) is articles.workflow;
which stories sit beside it, articles.related; links, articles.links.
"""

from .article import (
    DESCRIPTION_LENGTH,
    EDITORIAL_FIELDS,
    UPDATES_ON_PAGE,
    Article,
    Licence,
    OldSlug,
)
from .live import Correction, CorrectionKind, StoryPartQuerySet, Update
from .media import Image
from .people import Author, Byline
from .query import LIST_DEFERRED, ArticleQuerySet, Status, published_q
from .quotes import QUOTE_MAX_LENGTH, PullQuote, Quote, Speaker
from .republish import RepublishCount, RepublishPartner
from .taxonomy import Section, Tag
from .workflow import NOTE_LENGTH, WorkflowError, WorkflowNote, WorkflowStep

__all__ = [
    "DESCRIPTION_LENGTH",
    "EDITORIAL_FIELDS",
    "LIST_DEFERRED",
    "NOTE_LENGTH",
    "QUOTE_MAX_LENGTH",
    "UPDATES_ON_PAGE",
    "Article",
    "ArticleQuerySet",
    "Author",
    "Byline",
    "Correction",
    "CorrectionKind",
    "Image",
    "Licence",
    "OldSlug",
    "PullQuote",
    "Quote",
    "RepublishCount",
    "RepublishPartner",
    "Section",
    "Speaker",
    "Status",
    "StoryPartQuerySet",
    "Tag",
    "Update",
    "WorkflowError",
    "WorkflowNote",
    "WorkflowStep",
    "published_q",
]
