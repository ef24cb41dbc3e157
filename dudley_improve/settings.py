"""Settings for dudley_improve.

One file for every environment. Every value that differs between a laptop and
production comes from an environment variable; README.md lists them all.
"""

import datetime
import os
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# Off unless asked for: `make run` sets DEBUG=1 for local use.
DEBUG = env_bool("DEBUG")

# Commands that sign nothing, so a deploy can migrate and collect static
# files before the secret is in place (and `check --deploy` can report the
# missing key as security.W009 rather than crash).
SIGNS_NOTHING = {
    "check", "collectstatic", "createcachetable", "help", "makemigrations", "migrate",
    "showmigrations", "sqlmigrate", "version",
}  # fmt: skip


def management_command(argv: list[str]) -> str | None:
    """The manage.py / django-admin command being run, or None for a server or test run."""
    if argv and Path(argv[0]).name in {"manage.py", "django-admin", "__main__.py"}:
        return argv[1] if len(argv) > 1 else "help"
    return None


# Required on a server: without it gunicorn and runserver refuse to start,
# rather than answer every request with a 500.
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY and DEBUG:
    SECRET_KEY = "django-insecure-local-development-only"
elif not SECRET_KEY and management_command(sys.argv) not in SIGNS_NOTHING:
    raise ImproperlyConfigured(
        "SECRET_KEY is empty. Set the SECRET_KEY environment variable to a long random "
        "string (README, Deploying), or DEBUG=1 on a laptop."
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tables2",
    "django_filters",
    "simple_history",
    "csp",
    "axes",
    "rest_framework",
    "drf_spectacular",
    "priorities",
    "metrics",
    "reports",
    "notices",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Compresses what every later middleware and the view produced (a 400 KB
    # board page is about 13 KB gzipped), so it comes before any that read or
    # change the body. Against BREACH: Django masks the CSRF token afresh in
    # every response, and the session cookie is never in the body (sessions
    # stay in cookies, CSRF_USE_SESSIONS off). Downloads (xlsx, pptx, pdf) are
    # zip or deflate already: dudley_improve.middleware.Compress skips them.
    "dudley_improve.middleware.Compress",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "dudley_improve.middleware.SessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "dudley_improve.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dudley_improve.context_processors.menu",
            ],
            "libraries": {"govuk": "dudley_improve.govuk"},
        },
    },
]

WSGI_APPLICATION = "dudley_improve.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
# A database that stops answering must not hold every request (and the health
# check) until gunicorn kills the worker: connecting gives up after
# DATABASE_CONNECT_TIMEOUT seconds, any one statement after
# DATABASE_STATEMENT_TIMEOUT seconds (0: no limit, for a long maintenance job).
DATABASE_CONNECT_TIMEOUT = int(os.environ.get("DATABASE_CONNECT_TIMEOUT", "3"))
DATABASE_STATEMENT_TIMEOUT = int(os.environ.get("DATABASE_STATEMENT_TIMEOUT", "10"))
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        connect_timeout=DATABASE_CONNECT_TIMEOUT,
        options=f"-c statement_timeout={DATABASE_STATEMENT_TIMEOUT * 1000}",
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite's only wait is for another connection's write lock.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = DATABASE_STATEMENT_TIMEOUT or 5

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    # First, so a locked-out login is refused before its password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "after-login"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed, compressed names served with a year's cache by whitenoise.
    "staticfiles": {"BACKEND": "dudley_improve.storage.StaticStorage"},
}
WHITENOISE_MAX_AGE = 365 * 24 * 60 * 60 if not DEBUG else 0

# Security: every default is the safe one; README explains each variable.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# Load balancers probe the health check over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# Behind the council's proxy, which terminates TLS and says so in this header.
if env_bool("BEHIND_TLS_PROXY", not DEBUG):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# Sessions end after SESSION_IDLE_TIMEOUT seconds without a request, and
# SESSION_ABSOLUTE_TIMEOUT seconds after sign-in whatever happens.
SESSION_IDLE_TIMEOUT = int(os.environ.get("SESSION_IDLE_TIMEOUT", "1800"))
SESSION_ABSOLUTE_TIMEOUT = int(os.environ.get("SESSION_ABSOLUTE_TIMEOUT", "28800"))
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Sign-in lockout (django-axes), two limits within AXES_COOLOFF_MINUTES:
# AXES_FAILURE_LIMIT wrong passwords for one username from one address lock
# that pair out; AXES_ADDRESS_FAILURE_LIMIT wrong passwords from one address,
# whatever the usernames, lock the address out (dudley_improve/signin.py).
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_ADDRESS_FAILURE_LIMIT = int(os.environ.get("AXES_ADDRESS_FAILURE_LIMIT", "20"))
AXES_COOLOFF_TIME = datetime.timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_HANDLER = "dudley_improve.signin.SignInLimits"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Behind the council's proxy every request comes from the proxy's address, so
# the client's own address is read from X-Forwarded-For (see client_ip).
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "dudley_improve.middleware.client_ip"
AXES_VERBOSE = False

# Content Security Policy (django-csp). Scripts and everything else only from
# this site. Styles also allow 'unsafe-inline' because plotly.js writes its
# chart styles into a <style> element and style attributes at run time (and
# the Django admin uses style attributes); no script may run inline. Plotly's
# basic bundle needs no eval and no other origin; img-src allows data: URIs for
# the SVG images plotly and GOV.UK Frontend embed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

DJANGO_TABLES2_TEMPLATE = "django_tables2/table.html"

# Monthly actuals are due by this working day (Monday to Friday) of the month
# after the period ends; after it, a missing actual is "overdue", not "no data".
SUBMISSION_DEADLINE_WORKING_DAY = int(os.environ.get("SUBMISSION_DEADLINE_WORKING_DAY", "10"))
if not 1 <= SUBMISSION_DEADLINE_WORKING_DAY <= 20:
    raise ImproperlyConfigured(
        "SUBMISSION_DEADLINE_WORKING_DAY must be a working day from 1 to 20."
    )

# Sign-off: a figure its owner saves is "provisional" until its area's
# responsible officer or an analyst signs it off. SIGN_OFF_REQUIRED=0 switches
# this off: every saved figure then counts as final.
SIGN_OFF_REQUIRED = env_bool("SIGN_OFF_REQUIRED", default=True)


# Bank holidays: ISO dates (2026-12-25,2026-12-28) that are not working days,
# besides Saturdays and Sundays. Deadlines and reminders count working days
# (metrics.periods.is_working_day).
def _dates(name: str) -> frozenset[datetime.date]:
    try:
        return frozenset(datetime.date.fromisoformat(text) for text in env_list(name))
    except ValueError as error:
        raise ImproperlyConfigured(
            f"{name} must list dates written YYYY-MM-DD, separated by commas: {error}."
        ) from None


BANK_HOLIDAYS = _dates("BANK_HOLIDAYS")

# Email (README, Email and reminders). SMTP unless EMAIL_BACKEND says otherwise;
# `make run` uses the console backend, so a newcomer sees emails in the terminal.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL")
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured(
        "EMAIL_USE_TLS and EMAIL_USE_SSL are both on: use one. TLS (STARTTLS) is usual "
        "on port 587, SSL on port 465."
    )
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
# A mail server that stops answering must not hold the daily reminder run.
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "improvement-plan@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The site's public address, for links in emails: SITE_URL + the page's path.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Reminders (notices, `manage.py send_reminders`), all in working days: the
# advance reminder this many days before a deadline; approvers reminded of a
# figure waiting longer than this for sign-off; an area's responsible officer
# told of a figure overdue by more than this.
REMINDER_WORKING_DAYS_BEFORE = int(os.environ.get("REMINDER_WORKING_DAYS_BEFORE", "3"))
SIGN_OFF_REMINDER_WORKING_DAYS = int(os.environ.get("SIGN_OFF_REMINDER_WORKING_DAYS", "3"))
ESCALATION_WORKING_DAYS = int(os.environ.get("ESCALATION_WORKING_DAYS", "5"))

# Board pages keep their rendered content this many seconds, keyed by the
# stamps of what each shows (metrics.stamps), so any change shows at once.
BOARD_CACHE_SECONDS = int(os.environ.get("BOARD_CACHE_SECONDS", "600"))

# The cache: with REDIS_URL (redis://host:6379/0), Redis, shared by every
# server process, as it must be when more than one serves the site; without
# it, each process keeps its own in memory (make run, one process).
REDIS_URL = os.environ.get("REDIS_URL", "")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

# The board pack's PDF is printed by headless Chromium from the pack page (README,
# Deployment). Without it the PDF download says so and the other formats still work.
PDF_CHROMIUM = os.environ.get("PDF_CHROMIUM", "/usr/bin/chromium")

# History is a record: restoring an old version from the admin would skip the
# checks every other change goes through (versions, locks, original dates).
SIMPLE_HISTORY_REVERT_DISABLED = True

# Workbook imports (metrics/importer/). A file is refused before it is
# opened if it is larger than the upload limit, or if its zip declares more
# uncompressed data, or a higher compression ratio, than these allow: a small
# file that unpacks to gigabytes is an attack, not a KPI tracker.
IMPORT_MAX_UPLOAD_BYTES = int(os.environ.get("IMPORT_MAX_UPLOAD_BYTES", str(10 * 1024 * 1024)))
IMPORT_MAX_UNCOMPRESSED_BYTES = int(
    os.environ.get("IMPORT_MAX_UNCOMPRESSED_BYTES", str(100 * 1024 * 1024))
)
IMPORT_MAX_COMPRESSION_RATIO = int(os.environ.get("IMPORT_MAX_COMPRESSION_RATIO", "100"))
# Rows with data on any one sheet, and filled cells in the whole workbook: an
# import holds about 1 MiB per 1,000 cells while it plans (see `make bench`).
IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", "20000"))
IMPORT_MAX_CELLS = int(os.environ.get("IMPORT_MAX_CELLS", "250000"))
# A preview keeps its uploaded file until it is confirmed or cancelled, the
# same analyst uploads again, or it is this many hours old.
IMPORT_PREVIEW_HOURS = int(os.environ.get("IMPORT_PREVIEW_HOURS", "24"))

# The read-only API (api/, README "The API"): personal tokens only, JSON or CSV,
# paginated, API_RATE requests per token (a number per second, minute, hour or
# day). The count is kept in the cache: with more than one server process,
# give them a shared cache, or each counts on its own.
API_RATE = os.environ.get("API_RATE", "1000/hour")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.auth.TokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["api.auth.TokenRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "api.renderers.CSVRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": [],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Pages",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "api.schema.ApiSchema",
    "UNAUTHENTICATED_USER": None,
    # Figures as JSON numbers, so Power BI and Excel read them as numbers.
    "COERCE_DECIMAL_TO_STRING": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Improvement plan API",
    "DESCRIPTION": (
        "Read-only: plans, priority areas, KPIs with their status for a month, each KPI's "
        "series, actions and findings as they stood. Send a personal token from your "
        "settings page as the header Authorization: Token <token>."
    ),
    "VERSION": "1",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # django-axes logs every sign-in at INFO; keep lockouts (WARNING) only.
    "loggers": {"axes": {"level": "WARNING"}},
}
