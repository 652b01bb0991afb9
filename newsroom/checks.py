"""Settings the site refuses to serve with.

A production process (DJANGO_DEBUG off) without SECRET_KEY would sign sessions,
password resets and preview links with a key anyone can read in this repository.
Settings leave the key empty then, so commands that sign nothing still run (migrate,
makemigrations, collectstatic, backup), and the processes that answer people refuse
to start: the WSGI and ASGI applications (gunicorn, runserver) call
refuse_to_serve(), and `manage.py check --deploy` reports it.
"""

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

REFUSAL = (
    "SECRET_KEY is not set. With DJANGO_DEBUG off (production) Newsroom refuses to "
    "start with the development secret key, because anyone could forge sessions, "
    "password resets and preview links with it. Set SECRET_KEY to a long random "
    'value, e.g. python -c "import secrets; print(secrets.token_urlsafe(50))".'
)


def refuse_to_serve():
    if settings.SECRET_KEY_MISSING:
        raise ImproperlyConfigured(REFUSAL)


@checks.register(checks.Tags.security, deploy=True)
def secret_key_is_set(app_configs, **kwargs):
    if settings.SECRET_KEY_MISSING:
        return [checks.Error(REFUSAL, id="newsroom.E001")]
    return []
