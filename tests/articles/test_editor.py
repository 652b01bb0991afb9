"""The rich-text editor: CKEditor 5 from the pinned npm package, vendored under
static/vendor/, behind our own widget (richtext.widgets.RichTextEditor)."""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.utils import translation

from articles.models import Article
from donations.models import Campaign
from richtext.fields import RichTextField, RichTextFormField
from richtext.management.commands.vendor_ckeditor import (
    PACKAGE_DIR,
    VENDOR_DIR,
    vendored_files,
)
from richtext.sanitize import ALLOWED_TAGS
from richtext.widgets import CKEDITOR_STATIC, CKEDITOR_VERSION, RichTextEditor

BASE_DIR = Path(settings.BASE_DIR)


def version_tuple(version):
    return tuple(int(part) for part in version.split("."))


def test_the_pinned_ckeditor_is_past_the_high_advisory_fixed_in_48_5_1():
    lock = json.loads((BASE_DIR / "package-lock.json").read_text())
    pinned = lock["packages"]["node_modules/ckeditor5"]["version"]
    assert (
        json.loads((BASE_DIR / "package.json").read_text())["devDependencies"][
            "ckeditor5"
        ]
        == pinned
    ), "package.json pins an exact version"
    assert pinned == CKEDITOR_VERSION
    assert version_tuple(pinned) >= (48, 5, 1)


def test_only_the_pinned_version_is_vendored_with_its_licence():
    assert [path.name for path in VENDOR_DIR.iterdir()] == [CKEDITOR_VERSION]
    licence = (VENDOR_DIR / CKEDITOR_VERSION / "LICENSE.md").read_text()
    assert "GNU General Public License Version 2 or later" in licence
    assert (VENDOR_DIR / CKEDITOR_VERSION / "COPYING.GPL").exists()


@pytest.mark.skipif(
    not (PACKAGE_DIR / "package.json").exists(),
    reason="node_modules/ckeditor5 is missing: run `npm ci` (needs npm) to check "
    "the vendored build against the pinned package",
)
def test_the_vendored_build_is_the_pinned_packages_own():
    package = json.loads((PACKAGE_DIR / "package.json").read_text())
    assert package["version"] == CKEDITOR_VERSION
    expected = vendored_files()
    target = VENDOR_DIR / CKEDITOR_VERSION
    on_disk = {
        str(path.relative_to(target)): path.read_bytes()
        for path in target.rglob("*")
        if path.is_file()
    }
    assert sorted(on_disk) == sorted(expected)
    changed = [name for name in expected if on_disk[name] != expected[name]]
    assert changed == [], "run `make vendor-ckeditor`"


def test_the_vendored_build_points_at_no_missing_source_map():
    # collectstatic's manifest storage fails on a sourceMappingURL to a missing file.
    for name in ("ckeditor5.umd.js", "ckeditor5.css"):
        text = (VENDOR_DIR / CKEDITOR_VERSION / name).read_text("utf-8")
        assert "sourceMappingURL" not in text


def test_the_vendor_command_copies_the_package_build(tmp_path, monkeypatch):
    package = tmp_path / "node_modules" / "ckeditor5"
    (package / "dist" / "browser").mkdir(parents=True)
    (package / "dist" / "translations").mkdir()
    (package / "package.json").write_text('{"version": "99.0.0"}')
    (package / "LICENSE.md").write_text("licence")
    (package / "COPYING.GPL").write_text("gpl")
    (package / "dist" / "browser" / "ckeditor5.umd.js").write_text(
        "code();\n//# sourceMappingURL=ckeditor5.umd.js.map\n"
    )
    (package / "dist" / "browser" / "ckeditor5.css").write_text(
        ".ck{}\n/*# sourceMappingURL=ckeditor5.css.map */"
    )
    (package / "dist" / "translations" / "es.umd.js").write_text("es();")
    (package / "dist" / "translations" / "es.js").write_text("not this one")
    files = vendored_files(package)
    assert files == {
        "ckeditor5.umd.js": b"code();\n",
        "ckeditor5.css": b".ck{}\n",
        "translations/es.umd.js": b"es();",
        "LICENSE.md": b"licence",
        "COPYING.GPL": b"gpl",
    }


def test_no_code_or_migration_imports_the_old_django_ckeditor_5():
    sources = [
        path
        for folder in ("articles", "donations", "newsroom", "richtext")
        for path in (BASE_DIR / folder).rglob("*.py")
    ]
    assert sources
    for path in sources:
        assert "django_ckeditor_5" not in path.read_text(), path
    requirements = (BASE_DIR / "requirements.txt").read_text()
    assert "django-ckeditor-5" not in requirements


def test_the_rich_text_field_deconstructs_to_the_path_migrations_name():
    field = Article._meta.get_field("body")
    name, path, args, kwargs = field.deconstruct()
    assert path == "richtext.fields.RichTextField"
    for migration in (
        BASE_DIR / "articles/migrations/0002_editorial_core.py",
        BASE_DIR / "donations/migrations/0001_initial.py",
    ):
        assert "richtext.fields.RichTextField(" in migration.read_text()
    assert kwargs == {"blank": True, "verbose_name": "body"}
    assert field.get_internal_type() == "TextField"


def test_every_rich_text_field_gets_the_editor_in_the_admin(admin_client):
    response = admin_client.get("/admin/articles/article/add/")
    html = response.content.decode()
    textarea = re.search(r'<textarea[^>]*name="body"[^>]*>', html).group(0)
    assert 'class="rich-text-editor"' in textarea
    assert "data-editor-config=" in textarea
    assert f"/static/{CKEDITOR_STATIC}/ckeditor5.umd.js" in html
    assert f"/static/{CKEDITOR_STATIC}/ckeditor5.css" in html
    assert "/static/js/editor.js" in html
    response = admin_client.get("/admin/donations/campaign/add/")
    assert b'name="thank_you_text"' in response.content
    assert b"rich-text-editor" in response.content


def test_the_admin_page_with_an_editor_runs_no_inline_script(admin_client):
    response = admin_client.get("/admin/articles/article/add/")
    policy = response["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]*)", policy).group(1)
    assert "'unsafe-inline'" not in script_src
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", response.content.decode())
    for attributes in inline:
        assert "nonce=" in attributes or 'type="application/json"' in attributes


def test_the_editor_configuration_carries_the_upload_address_and_allowlist():
    widget = RichTextEditor()
    config = widget.editor_config()
    assert config["uploadUrl"] == "/editor/images/"
    assert config["language"] == "en"
    assert set(config["htmlSupport"]["elements"]) == ALLOWED_TAGS
    assert "script" not in config["htmlSupport"]["elements"]
    for forbidden in ("SourceEditing", "HtmlEmbed", "MediaEmbed", "Style", "Font"):
        assert forbidden not in config["plugins"]
    assert "TextTransformation" in config["plugins"]
    assert config["typing"]["transformations"]["include"] == ["quotes", "typography"]
    rendered = widget.render("body", "<p>x</p>", {"id": "id_body"})
    assert json.loads(
        re.search(r'data-editor-config="([^"]*)"', rendered)
        .group(1)
        .replace("&quot;", '"')
        .replace("&amp;", "&")
    )["uploadUrl"] == ("/editor/images/")


def test_every_plugin_the_configuration_names_is_in_the_build():
    build = (VENDOR_DIR / CKEDITOR_VERSION / "ckeditor5.umd.js").read_text("utf-8")
    for config in settings.CKEDITOR_5_CONFIGS.values():
        for plugin in [*config["plugins"], "SimpleUploadAdapter", "ClassicEditor"]:
            assert f"e.{plugin}=" in build, plugin


def test_the_editor_speaks_the_admins_language():
    with translation.override("es"):
        widget = RichTextEditor()
        assert widget.editor_config()["language"] == "es"
        assert f"{CKEDITOR_STATIC}/translations/es.umd.js" in str(widget.media)
    with translation.override("pt-br"):
        assert RichTextEditor().editor_config()["language"] == "pt-br"
    with translation.override("en-us"):
        assert "translations/" not in str(RichTextEditor().media)


def test_every_static_file_the_widget_asks_for_exists():
    media = RichTextEditor().media
    for path in [*media._js, *media._css["all"]]:
        assert finders.find(path), path


@pytest.mark.parametrize("empty", ["", "<p>&nbsp;</p>", "<p> </p><p><br></p>"])
def test_an_emptied_editor_is_no_text(empty):
    field = RichTextFormField(required=True)
    with pytest.raises(Exception, match="required"):
        field.clean(empty)
    assert RichTextFormField(required=False).clean(empty) == ""


def test_an_editor_with_only_a_picture_is_not_empty():
    html = '<figure class="image"><img src="/media/x.jpg" alt="x"></figure>'
    assert RichTextFormField().clean(html) == html


@pytest.mark.django_db
def test_a_blank_rich_text_field_stores_an_emptied_editor_as_empty():
    campaign_field = Campaign._meta.get_field("thank_you_text")
    assert isinstance(campaign_field, RichTextField)
    article = Article._meta.get_field("body")
    assert article.get_prep_value("<p>&nbsp;</p>") == ""
