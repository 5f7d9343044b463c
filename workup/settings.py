"""Settings for RIF Work-up, read from the environment.

Every variable is documented in the README's configuration table. Production is the default:
debug is off unless ``DJANGO_DEBUG=1``, and then a secret key must be given.
"""

import hashlib
import hmac
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def load_env_file(path):
    """Read KEY=VALUE lines from a git-ignored .env beside manage.py (local development only).

    Variables already in the environment win, so a deployment's own settings are never
    overridden. ``make`` writes a .env with DJANGO_DEBUG=1 for a developer's machine.
    """
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        os.environ.setdefault(key.strip(), value.strip().strip("'\""))


load_env_file(os.environ.get("DJANGO_ENV_FILE", BASE_DIR / ".env"))

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name, default):
    """A yes/no variable; anything other than the usual spellings is a configuration error."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be 1 or 0 (got {raw!r}).")


def env_int(name, default):
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number (got {raw!r}).") from None


def env_list(name, default):
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. It is required when debug is off: set it to a long "
            'random string (for example the output of `python -c "import secrets; '
            'print(secrets.token_urlsafe(50))"`), or set DJANGO_DEBUG=1 for local development.'
        )
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production-0123456789abcdef"  # noqa: S105  # nosec B105

# Rotation: the old key goes here for a while, so sessions signed with it stay valid.
SECRET_KEY_FALLBACKS = env_list("DJANGO_SECRET_KEY_FALLBACKS", [])

# The key of the audit trail's hash chain (workup.audit.chain; docs/security.md). Set it on its
# own in production, kept like the secret key but never rotated with it: records hashed with
# one key verify only with that key. Without it, a key derived from the secret key is used.
AUDIT_CHAIN_KEY = (
    os.environ.get("DJANGO_AUDIT_KEY")
    or hmac.new(SECRET_KEY.encode(), b"rif-workup audit chain", hashlib.sha256).hexdigest()
)

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

# HTTPS: redirect, HSTS and secure cookies. On by default when debug is off.
HTTPS = env_bool("DJANGO_HTTPS", not DEBUG)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "simple_history",
    "axes",
    "csp",
    # Background tasks (the PDFs rendered ahead): django-tasks with its ORM or RQ backend.
    "django_tasks",
    "django_tasks_db",
    "workup.evidence",
    "workup.clinic",
    "workup.coordination",
    "workup.documents",
    "workup.audit",
    "workup.interop",
    "workup.guardrail",
    # Languages: the interface's choice, the check for untranslated strings (docs/documents.md).
    "workup.languages",
    # Last, so that every permission exists when it sets up the roles after migrate.
    "workup.accounts",
]

MIDDLEWARE = [
    # Outermost: the security headers on every response, whichever layer made it (static files,
    # the 400 for a bad Host that the HTTPS redirect below raises, refusals).
    "workup.accounts.middleware.SecurityHeadersMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The interface's language: the signed-in user's choice (workup.languages.middleware),
    # else the language cookie, else the browser's Accept-Language.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A signed-in user's own language (kept on their profile, put in the session at sign-in).
    "workup.languages.middleware.UserLanguageMiddleware",
    # Right after the user is known: every response to a signed-in user, the refusals of the
    # middleware below (400, 413) included, is never stored by the browser.
    "workup.accounts.middleware.NoStoreMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After the messages middleware: it says why the user was signed out.
    "workup.accounts.middleware.IdleTimeoutMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
    # Refuses an oversized body with 413 before any form or CSRF check reads it.
    "workup.accounts.middleware.RequestBodyLimitMiddleware",
    # Refuses a NUL character in the query string (PostgreSQL text cannot hold it) with 400.
    "workup.accounts.middleware.NulCharacterMiddleware",
    # A catalogue that cannot be served (not loaded, broken with no good copy) answers 503.
    "workup.evidence.middleware.CatalogueUnavailableMiddleware",
    # Every read of a patient's work-up page, history or API record is recorded (who, when).
    "workup.audit.middleware.ReadRecordMiddleware",
]

ROOT_URLCONF = "workup.urls"
WSGI_APPLICATION = "workup.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "workup.clinic.context_processors.clinic",
                "workup.evidence.context_processors.catalogue_status",
            ],
        },
    },
]

# Database: an SQLite file beside manage.py unless DATABASE_URL says otherwise.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DJANGO_DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while one writer writes; IMMEDIATE takes the write lock at the
    # start of a transaction so that two writers queue instead of failing half-way.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def cache_from_url(url):
    """Django's cache framework from one URL (docs/deploy.md, "Cache"):

    - ``redis://host:6379/1`` (or ``rediss://``): Redis, shared by every app server;
    - ``db://table_name``: a table in the app's database (``manage.py createcachetable``);
    - ``file:///path/to/folder``: files on this server's disk;
    - ``locmem://`` or ``dummy://``: this process only, or nothing (tests, benchmarks).
    """
    scheme, _, rest = url.partition("://")
    if scheme in ("redis", "rediss"):
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    if scheme == "db":
        return {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": rest or "workup_cache",
        }
    if scheme == "file" and rest.startswith("/"):
        return {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": rest}
    if scheme == "locmem":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": rest}
    if scheme == "dummy":
        return {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
    raise ImproperlyConfigured(
        f"CACHE_URL must start with redis://, rediss://, db://, file:/// , locmem:// or dummy:// "
        f"(got {scheme or url!r})."
    )


# No state in process memory that several app servers would disagree on: the cache is shared.
# CACHE_URL wins; else REDIS_URL (several servers); else a table in the app's database.
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
CACHE_URL = os.environ.get("CACHE_URL", "").strip() or REDIS_URL or "db://workup_cache"
CACHES = {"default": {**cache_from_url(CACHE_URL), "KEY_PREFIX": "workup"}}

# Background tasks (django-tasks). The embedded default keeps the queue in the app's database
# (django-tasks-db), worked by `manage.py db_worker`; with REDIS_URL (several servers) it is RQ
# on Redis (django-tasks-rq), worked by `manage.py rqworker --job-class django_tasks_rq.Job`.
# TASKS_BACKEND=immediate runs each task at once in the request (tests, a one-off command).
TASKS_BACKEND = os.environ.get("TASKS_BACKEND", "rq" if REDIS_URL else "db").strip().lower()
_TASK_BACKENDS = {
    "db": "django_tasks_db.DatabaseBackend",
    "rq": "django_tasks_rq.RQBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "dummy": "django_tasks.backends.dummy.DummyBackend",
}
if TASKS_BACKEND not in _TASK_BACKENDS:
    raise ImproperlyConfigured(
        f"TASKS_BACKEND must be one of {', '.join(_TASK_BACKENDS)} (got {TASKS_BACKEND!r})."
    )
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[TASKS_BACKEND], "QUEUES": ["default"]}}
if TASKS_BACKEND == "rq":
    if not REDIS_URL:
        raise ImproperlyConfigured("TASKS_BACKEND=rq needs REDIS_URL (redis://host:6379/0).")
    INSTALLED_APPS.insert(INSTALLED_APPS.index("django_tasks_db") + 1, "django_rq")
    INSTALLED_APPS.insert(INSTALLED_APPS.index("django_rq") + 1, "django_tasks_rq")
    RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 300}}

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "workup.accounts.backends.ModelBackendOneQuery",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# Sessions live in the database so that several app servers can share them. A session ends
# after SESSION_IDLE_MINUTES without a request (see accounts.middleware.IdleTimeoutMiddleware).
SESSION_IDLE_MINUTES = env_int("DJANGO_SESSION_IDLE_MINUTES", 30)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Shared clinic workstations: closing the browser ends the session too.
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = True
# A refused form says what happened and that nothing was saved, in the app's own page.
CSRF_FAILURE_VIEW = "workup.accounts.views.csrf_failure"

# Login throttling (django-axes, workup.accounts.throttle): lock a username, and the pair
# (username, address), after repeated failures; an address alone only at a much higher count,
# since behind a load balancer every user may share one address.
AXES_FAILURE_LIMIT = env_int("DJANGO_LOGIN_FAILURE_LIMIT", 5)
AXES_USERNAME_FAILURE_LIMIT = env_int("DJANGO_LOGIN_USERNAME_FAILURE_LIMIT", AXES_FAILURE_LIMIT)
AXES_ADDRESS_FAILURE_LIMIT = env_int("DJANGO_LOGIN_ADDRESS_FAILURE_LIMIT", 50)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("DJANGO_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", ["username", "ip_address"], "ip_address"]
AXES_HANDLER = "workup.accounts.throttle.ThrottleHandler"
# The client's address: REMOTE_ADDR, or X-Forwarded-For as written by this many trusted proxies
# (docs/deploy.md). 0 (the default) never reads the header, which any client can send.
TRUSTED_PROXY_COUNT = env_int("DJANGO_TRUSTED_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "workup.accounts.throttle.client_ip"
AXES_RESET_ON_SUCCESS = True
# The locked-out page (registration/locked_out.html) says for how long, with status 429.
AXES_LOCKOUT_CALLABLE = "workup.accounts.views.locked_out"
AXES_VERBOSE = False
# Masked in axes' log lines and in the form data it keeps with each failed attempt: "next" can
# carry a search (/patients/?q=<name>) from before the sign-in.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "next", "csrfmiddlewaretoken"]

# Security headers.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = HTTPS
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if env_bool("DJANGO_TRUST_X_FORWARDED_PROTO", False):
    # Only behind a load balancer that sets this header itself and strips it from clients.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content Security Policy (django-csp 4): no inline script or style anywhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Request bodies: JSON for the API is small; anything larger is refused.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DJANGO_MAX_BODY_BYTES", 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

# The interface and the patient sheet in English, French and Turkish (docs/documents.md,
# "Languages"). English is the source language; dates and numbers follow the active language,
# with British English formats for English (workup/languages/formats/en).
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français"), ("tr", "Türkçe")]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["workup.languages.formats"]
LANGUAGE_COOKIE_NAME = "workup_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# The address of the app as users reach it, for links in emails (the overdue digest).
SITE_URL = os.environ.get("DJANGO_SITE_URL", "").rstrip("/")

# The clinic named on summaries and patient sheets.
CLINIC_NAME = os.environ.get("CLINIC_NAME", "Demo Fertility Clinic")
CLINIC_ADDRESS = os.environ.get("CLINIC_ADDRESS", "1 Example Street, Demo Town")
# The identifier system of the clinic's MRNs in FHIR (Patient.identifier.system): docs/interop.md.
INTEROP_MRN_SYSTEM = os.environ.get("INTEROP_MRN_SYSTEM", "urn:rif-workup:mrn")

EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("DJANGO_EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("DJANGO_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("DJANGO_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "rif-workup@localhost")

# Logs carry request paths, status codes and user ids; never names, MRNs or findings
# (docs/security.md). The filter masks query strings (a search by name) and withholds exception
# messages (a database error can quote a value). It sits on the console handler, and on the
# loggers that describe requests (a logger's filter sees only its own records, not its
# children's), so a handler added later, an error tracker say, gets clean records too.
REDACTED_LOGGERS = (
    "django.request",
    "django.server",
    "django.security.csrf",
    *(
        f"django.security.{name}"
        for name in (
            "DisallowedHost",
            "DisallowedRedirect",
            "RequestDataTooBig",
            "SuspiciousFileOperation",
            "SuspiciousMultipartForm",
            "SuspiciousOperation",
            "SuspiciousSession",
            "TooManyFieldsSent",
            "TooManyFilesSent",
        )
    ),
)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "no_patient_data": {"()": "workup.audit.logfilters.NoPatientData"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["no_patient_data"],
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own handlers (a second console with debug on, mail to ADMINS) are dropped:
        # every line goes through the filtered console handler, once.
        "django": {"handlers": []},
        # propagate: runserver's request lines (django.server) reach the console handler too.
        **{name: {"filters": ["no_patient_data"], "propagate": True} for name in REDACTED_LOGGERS},
        # SQL with its parameters is logged only with DEBUG on; never let it through.
        "django.db.backends": {"level": "WARNING"},
        # Every login would log a line; failures and lockouts (WARNING) still do, with the
        # username and address masked (AXES_SENSITIVE_PARAMETERS).
        "axes": {"level": "WARNING"},
        # WeasyPrint logs each layout step at INFO.
        "weasyprint": {"level": "WARNING"},
    },
}

# Error reports (the debug page, mail to ADMINS if ever set) never show POST data, frame
# variables or the query string when debug is off, for every view, not only decorated ones.
DEFAULT_EXCEPTION_REPORTER_FILTER = "workup.audit.logfilters.NoPatientDataReporterFilter"
DEFAULT_EXCEPTION_REPORTER = "workup.audit.logfilters.NoPatientDataReporter"
