import os

from django.core.wsgi import get_wsgi_application

from newsroom.checks import refuse_to_serve

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")

refuse_to_serve()
application = get_wsgi_application()
