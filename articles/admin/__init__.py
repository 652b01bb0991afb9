"""The articles admin, one module per subject; importing the package registers
every model with the admin site."""

from . import article, live, media, quotes, republish, taxonomy
from .mixins import RichTextWarningsMixin

__all__ = [
    "RichTextWarningsMixin",
    "article",
    "live",
    "media",
    "quotes",
    "republish",
    "taxonomy",
]
