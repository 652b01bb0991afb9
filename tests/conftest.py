import pytest


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Uploaded files from a test land in a temporary folder, never in media/."""
    settings.MEDIA_ROOT = tmp_path / "media"
