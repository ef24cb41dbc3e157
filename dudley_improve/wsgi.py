import os

from django.core.wsgi import get_wsgi_application

from dudley_improve.runtime import tune_gc

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dudley_improve.settings")

application = get_wsgi_application()
tune_gc()
