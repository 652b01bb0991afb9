"""richtext is shared by articles and donations, so it depends on neither."""

import ast
from pathlib import Path

from django.conf import settings

APPS = {"articles", "donations"}


def imported_modules(path):
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            yield node.module


def test_richtext_imports_neither_app_that_uses_it():
    sources = sorted((Path(settings.BASE_DIR) / "richtext").rglob("*.py"))
    assert len(sources) > 5
    for path in sources:
        for module in imported_modules(path):
            assert module.split(".")[0] not in APPS, f"{path}: {module}"
