"""
Rich text for every app of the site: the model field and its CKEditor 5 widget
(``fields``, ``widgets``), the one allowlist and sanitizer (``sanitize``), what it
removed in words for the editor (``removed``), plain text (``plain``), placing
fragments between paragraphs (``paragraphs``), copies for other sites
(``republish``) and the ``rich_text`` template filter (``{% load richtext %}``).
"""
