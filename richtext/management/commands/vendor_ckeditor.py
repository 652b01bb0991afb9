"""
Copy CKEditor 5's browser build from node_modules/ into static/vendor/.

The editor comes from the official ``ckeditor5`` npm package, pinned in
package-lock.json. Its ready-made browser build is committed under
``static/vendor/ckeditor5/<version>/`` so that ``make run`` and the production image
need no Node.js: run ``make vendor-ckeditor`` after changing the pin, then set
``richtext.widgets.CKEDITOR_VERSION``. A test checks that the committed copy is exactly
what the pinned package holds.
"""

import json
import re
import shutil
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

VENDOR_DIR = Path(settings.BASE_DIR) / "static" / "vendor" / "ckeditor5"
PACKAGE_DIR = Path(settings.BASE_DIR) / "node_modules" / "ckeditor5"

# Source maps are left behind (13 MB for the script alone), so the comments that
# point at them go too: collectstatic's manifest would refuse a missing map.
SOURCE_MAP_COMMENT = re.compile(
    rb"\n?(?://# sourceMappingURL=\S+|/\*# sourceMappingURL=\S+ \*/)\s*\Z"
)


def package_version(package_dir=PACKAGE_DIR):
    return json.loads((package_dir / "package.json").read_text("utf-8"))["version"]


def vendored_files(package_dir=PACKAGE_DIR):
    """What static/vendor/ckeditor5/<version>/ must hold, as {relative path: bytes}:
    the UMD script and its stylesheet, the UI translations, and the licence."""
    files = {}
    browser = package_dir / "dist" / "browser"
    for name in ("ckeditor5.umd.js", "ckeditor5.css"):
        files[name] = SOURCE_MAP_COMMENT.sub(b"\n", (browser / name).read_bytes())
    for path in sorted((package_dir / "dist" / "translations").glob("*.umd.js")):
        files[f"translations/{path.name}"] = path.read_bytes()
    for name in ("LICENSE.md", "COPYING.GPL"):
        files[name] = (package_dir / name).read_bytes()
    return files


class Command(BaseCommand):
    help = "Copy CKEditor 5's browser build from node_modules/ into static/vendor/."

    def handle(self, *args, **options):
        if not (PACKAGE_DIR / "package.json").exists():
            raise CommandError(
                "node_modules/ckeditor5 is missing: run `npm ci` first "
                "(`make vendor-ckeditor` does)."
            )
        version = package_version()
        target = VENDOR_DIR / version
        if VENDOR_DIR.exists():
            shutil.rmtree(VENDOR_DIR)
        for relative, content in vendored_files().items():
            path = target / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        self.stdout.write(
            f"CKEditor {version} copied to {target.relative_to(settings.BASE_DIR)}."
        )
