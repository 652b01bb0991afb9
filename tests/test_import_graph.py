"""The import graph: every module of the project's apps imports on its own, in any
order, in a fresh interpreter (no cycle hidden by the order the test run or the
server happens to use), and `articles` never reaches into `donations` (donations
reaches the story page through the seam in articles.hooks, never the reverse)."""

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)

# Run in a fresh interpreter: set Django up, then import every module of the
# project's own apps (those under BASE_DIR, and the settings package) in the order
# the seed gives. Prints the modules that failed, with why, as JSON.
IMPORT_EVERYTHING = """
import importlib, json, random, sys, traceback
from pathlib import Path

import django
from django.apps import apps
from django.conf import settings

django.setup()
root = Path(settings.BASE_DIR)
packages = {"newsroom"} | {
    config.name
    for config in apps.get_app_configs()
    if Path(config.path).resolve().is_relative_to(root)
}
modules = []
for package in sorted(packages):
    for path in sorted((root / package).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        modules.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
random.Random(int(sys.argv[1])).shuffle(modules)
failed = {}
for name in modules:
    try:
        importlib.import_module(name)
    except Exception:
        failed[name] = traceback.format_exc(limit=-3)
report = {"packages": sorted(packages), "count": len(modules), "failed": failed}
print(json.dumps(report))
"""


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_every_module_imports_in_a_fresh_interpreter_in_any_order(seed):
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_EVERYTHING, str(seed)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "newsroom.settings"},
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert {"articles", "donations", "newsroom"} <= set(report["packages"])
    assert report["count"] > 100
    assert report["failed"] == {}, "\n".join(report["failed"].values())


def donations_references(path):
    """(line, what) for every way a module reaches donations: an import, or an app
    registry lookup by name (apps.get_model("donations", ...))."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        elif isinstance(node, ast.Call) and node.args:
            first = node.args[0]
            is_text = isinstance(first, ast.Constant) and isinstance(first.value, str)
            words = first.value.replace(".", " ").split() if is_text else []
            names = words[:1]
            func = node.func
            called = getattr(func, "attr", getattr(func, "id", ""))
            if called not in ("get_model", "get_app_config", "import_module"):
                names = []
        else:
            continue
        found += [
            (node.lineno, name)
            for name in names
            if name == "donations" or name.startswith("donations.")
        ]
    return found


def test_the_donations_finder_finds_every_kind_of_reference(tmp_path):
    module = tmp_path / "module.py"
    module.write_text(
        "import donations\n"
        "import donations.models as m\n"
        "from donations.models import Appeal\n"
        "from donations import models\n"
        "from django.apps import apps\n"
        "apps.get_model('donations', 'Appeal')\n"
        "apps.get_model('donations.Appeal')\n"
        "import_module('donations.slots')\n"
        "import donationsx\n"
        "from articles import models\n"
        "print('donations')\n"
        "apps.get_model('')\n"
    )
    assert [line for line, _name in donations_references(module)] == [
        1,
        2,
        3,
        4,
        6,
        7,
        8,
    ]


def test_articles_never_imports_donations():
    found = {
        f"{path.relative_to(ROOT)}:{line}": name
        for path in sorted((ROOT / "articles").rglob("*.py"))
        for line, name in donations_references(path)
    }
    assert found == {}
