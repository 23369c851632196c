"""GridGov settings, read from the environment (see .env.example for every variable).

The defaults give a laptop setup that needs no server: SQLite under var/ and kombu's
filesystem transport as the Celery broker. Production (GRIDGOV_ENV=production) refuses to
start without strong secrets of its own (gridgov.production_keys) and sends HSTS, redirects
plain HTTP to HTTPS and marks cookies secure unless told otherwise.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from gridgov.production_keys import DEV_PII_HASH_KEY, DEV_PII_KEY, DEV_SECRET_KEY, key_problems

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
VAR_DIR.mkdir(exist_ok=True)

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

GRIDGOV_ENV = env.str("GRIDGOV_ENV", default="development")
PRODUCTION = GRIDGOV_ENV == "production"
DEBUG = env.bool("DEBUG", default=not PRODUCTION)

SECRET_KEY = env.str("SECRET_KEY", default="")
PII_ENCRYPTION_KEYS = env.list("PII_ENCRYPTION_KEYS", default=[])
PII_HASH_KEY = env.str("PII_HASH_KEY", default="")
if PRODUCTION:
    problems = key_problems(
        secret_key=SECRET_KEY, pii_encryption_keys=PII_ENCRYPTION_KEYS, pii_hash_key=PII_HASH_KEY
    )
    if problems:
        raise ImproperlyConfigured(
            "GRIDGOV_ENV=production refuses to start with these keys:\n- " + "\n- ".join(problems)
        )
# Development keys are fixed so a laptop works out of the box; production must bring its own.
SECRET_KEY = SECRET_KEY or DEV_SECRET_KEY
PII_ENCRYPTION_KEYS = PII_ENCRYPTION_KEYS or [DEV_PII_KEY]
PII_HASH_KEY = PII_HASH_KEY or DEV_PII_HASH_KEY

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "django_celery_beat",
    "django_htmx",
    "guardian",
    "axes",
    "csp",
    "knox",
    # After knox, axes and celery-beat: its admin module takes theirs from non-superusers.
    "accounts",
    "idempotency",
    "grids",
    "residents",
    "cases",
    "workflows",
    "assessment",
    "integrity",
    "public",
    "open311",
    "care",
]

MIDDLEWARE = [
    # First, to see every response: under DEBUG, Django's technical error pages are for
    # signed-in superusers only (absent when DEBUG is off).
    "gridgov.errors.TechnicalPagesForSuperusersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "gridgov.csp.GridGovCSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A NUL byte in the URL or a form is a 400 before any view (gridgov.bad_input); after
    # sign-in, so the 400 page knows who asked.
    "gridgov.bad_input.RefuseNulBytesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Answers a Ratelimited raised anywhere (e.g. too many whole-number searches of
    # residents) with RATELIMIT_VIEW: 429 and the limit's message.
    "django_ratelimit.middleware.RatelimitMiddleware",
    # Last: turns a locked-out sign-in into the lockout answer (accounts.lockout).
    "axes.middleware.AxesMiddleware",
]

# Benchmarks swap in a URL conf with a bare baseline endpoint (bench/bare_urls.py).
ROOT_URLCONF = env.str("ROOT_URLCONF", default="gridgov.urls")
WSGI_APPLICATION = "gridgov.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a sign-in while its username is locked out from that address.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]

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
                "django.template.context_processors.i18n",
                "accounts.context_processors.shell",
                "grids.basemap.context",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'gridgov.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers and a writer overlap; IMMEDIATE takes the write lock at BEGIN, so the
    # web process and the Celery worker queue for it instead of failing with "database is
    # locked" half-way through a transaction.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
    # A file, not memory, so a Celery worker process can share the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------------
# Shared by every process, because per-user limits (django-ratelimit) count in it: Redis when
# CACHE_URL or REDIS_URL is set (production), else a database table, so a laptop needs no
# server (the table is made by `migrate`, residents migration 0006). The database cache's
# increment is not atomic: two searches in the same instant may count once. Redis's is.
_CACHE_URL = env.str("CACHE_URL", default="") or env.str("REDIS_URL", default="")
CACHES = {
    "default": env.cache_url_config(_CACHE_URL)
    if _CACHE_URL
    else {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "gridgov_cache"}
}

# --- Celery ---------------------------------------------------------------------------------
BROKER_DIR = VAR_DIR / "broker"
BROKER_TIMEOUT = env.float("BROKER_TIMEOUT", default=0.5)
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("queue", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
        # The worker looks for new files this often (kombu's default is 1 s). With one
        # message prefetched per process, 1 s meant two tasks a second: the demo seed's
        # notices took minutes to drain and held up the first real ones behind them.
        "polling_interval": 0.1,
    }
    _default_result_backend = f"file://{VAR_DIR / 'celery-results'}"
    (VAR_DIR / "celery-results").mkdir(exist_ok=True)
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # A task held by a killed worker comes back after this long, not Redis's default hour:
        # every task here is done (or cut by its time limit) well inside it.
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=300),
        # A broker that is down or hung (SIGSTOP) costs a request at most about a second:
        # sends after commit only hurry a sweep along (workflows.outbox), never carry work.
        "socket_connect_timeout": BROKER_TIMEOUT,
        "socket_timeout": BROKER_TIMEOUT,
        "retry_on_timeout": False,
    }
    _default_result_backend = CELERY_BROKER_URL
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=_default_result_backend)
CELERY_RESULT_EXPIRES = 3600
# `make test` sets its own queue, so a `make run` worker on the same broker never takes a
# test's task (nor a test worker a real one).
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 90
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = BROKER_TIMEOUT
# A worker that loses the broker keeps trying to reconnect, for ever (None), instead of exiting.
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# Tasks are idempotent and acknowledged late: one in hand when the broker connection drops
# runs to its end, and its acknowledgement over the lost channel fails, so Redis hands it out
# again after the visibility timeout. Not cancelled: celery 5.7 cancels a task by first storing
# a "retry" state in the result backend, which is the same Redis and down; that fails, the
# cancellation is taken for a revocation, and the message is acknowledged once Redis returns:
# the task never ran (tests/gridgov/test_worker_outage.py).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = BROKER_TIMEOUT
CELERY_REDIS_SOCKET_TIMEOUT = BROKER_TIMEOUT
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# The SLA scan's batches in flight at once on PostgreSQL, each on its own connection: a
# batch's time is mostly the database's upkeep of the case table's indexes, which one
# connection keeps to one core (workflows.sla). 1: one after another.
SLA_SCAN_CONNECTIONS = env.int("SLA_SCAN_CONNECTIONS", default=2)

# --- Auth, i18n, static -------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=VAR_DIR / "staticfiles")
Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    # Photos. An S3-compatible object store (MinIO, OSS, COS) with django-storages:
    # MEDIA_STORAGE_BACKEND=storages.backends.s3.S3Storage and its options as JSON.
    "default": {
        "BACKEND": env.str(
            "MEDIA_STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage"
        ),
        "OPTIONS": env.json("MEDIA_STORAGE_OPTIONS", default={}),
    },
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_URL = "media/"  # never routed: photos are served by /cases/<id>/photos/<n>/ only
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")

# --- Photos (cases.photos: every upload goes through prepare_photos) -------------------------
_MB = 1024 * 1024
PHOTO_MAX_PER_REQUEST = env.int("PHOTO_MAX_PER_REQUEST", default=6)
PHOTO_MAX_FILE_BYTES = env.int("PHOTO_MAX_FILE_MB", default=10) * _MB
PHOTO_MAX_REQUEST_BYTES = env.int("PHOTO_MAX_REQUEST_MB", default=25) * _MB
# A 48/50-megapixel phone photo passes; decoding one costs up to ~200 MB for a moment.
PHOTO_MAX_PIXELS = env.int("PHOTO_MAX_MEGAPIXELS", default=50) * 1_000_000
PHOTO_LONG_SIDE_PX = env.int("PHOTO_LONG_SIDE_PX", default=2048)
PHOTO_THUMBNAIL_PX = env.int("PHOTO_THUMBNAIL_PX", default=320)
PHOTO_JPEG_QUALITY = env.int("PHOTO_JPEG_QUALITY", default=82)
# Capture facts the phone sends with a photo (cases.photos.capture): a photo taken farther than
# this from the case (beyond the fix's accuracy) is marked; a phone clock off by more than this
# is shown on the photo's strip.
PHOTO_FAR_M = env.int("PHOTO_FAR_M", default=200)
PHOTO_MAX_CLOCK_SKEW_S = env.int("PHOTO_MAX_CLOCK_SKEW_S", default=300)
# A font with Chinese glyphs for the strip burnt into exported photos (falls back to Pillow's).
PHOTO_STRIP_FONT = env.str(
    "PHOTO_STRIP_FONT", default="/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
)
# Who sends a photo's bytes once the view has checked scope: "" (Django, through the storage
# API), "X-Accel-Redirect" (nginx, from an internal location at PHOTO_ACCEL_PREFIX that
# aliases MEDIA_ROOT) or "X-Sendfile" (Apache mod_xsendfile, lighttpd). Local storage only.
PHOTO_SERVE_HEADER = env.str("PHOTO_SERVE_HEADER", default="")
if PHOTO_SERVE_HEADER not in ("", "X-Accel-Redirect", "X-Sendfile"):
    raise ImproperlyConfigured(
        "PHOTO_SERVE_HEADER must be empty, X-Accel-Redirect or X-Sendfile, "
        f"not {PHOTO_SERVE_HEADER!r}"
    )
PHOTO_ACCEL_PREFIX = env.str("PHOTO_ACCEL_PREFIX", default="/protected-media/")
# First: refuses a body past twice PHOTO_MAX_REQUEST_BYTES before it is read.
FILE_UPLOAD_HANDLERS = [
    "cases.photos.uploads.PhotoRequestLimit",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if not PRODUCTION
    else "django.core.mail.backends.smtp.EmailBackend",
)
# Where the file-based backend (django.core.mail.backends.filebased) writes (the fault drills).
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "emails"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="gridgov@localhost")
# Messages to residents (their tracking link, their case's progress): SMS through this backend
# (workflows.sms: the default logs them; write a class for your provider), email through
# EMAIL_BACKEND. SITE_URL makes the links in them absolute.
SMS_BACKEND = env.str("SMS_BACKEND", default="workflows.sms.LogBackend")
SITE_URL = env.str("SITE_URL", default="" if PRODUCTION else "http://127.0.0.1:8000")

# --- HTTPS (production) ---------------------------------------------------------------------
# Defaults pass `manage.py check --deploy --fail-level WARNING`; each can be turned down from
# the environment (README, "Production").
if PRODUCTION:
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    # Trust X-Forwarded-Proto only when a reverse proxy that sets it ends TLS in front of us;
    # without one, any client could claim to be on HTTPS.
    if env.bool("TLS_AT_PROXY", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # Container health checks probe over plain HTTP from inside (docker-compose.yml).
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    # A year, as the preload list asks; start lower (3600) while HTTPS is new on the host.
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)

# --- Content-Security-Policy (django-csp) -----------------------------------------------------
# Pages run only GridGov's own static files: no inline script or style element (data for
# scripts travels in <script type="application/json"> blocks), nothing from another origin
# (DESIGN §7: no CDN), and no other site may frame them. Styles set from JavaScript
# (Leaflet, ECharts) go through the CSSOM, which the policy allows. The middleware
# (gridgov.csp) lets DRF's browsable API pages, and only those, use inline styles.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # Photo previews before upload are blob: URLs; the favicon placeholder is data:.
        "img-src": [SELF, "data:", "blob:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

# --- Base map (grids.basemap; README "Base map") ------------------------------------------------
# An XYZ/WMTS URL template on the internet, or a local .mbtiles/.pmtiles file served at /tiles/.
# The CSP's img-src gains the template's hosts (gridgov.csp). Empty: polygons alone.
MAP_TILE_URL = env.str("MAP_TILE_URL", default="")
MAP_TILE_LABELS_URL = env.str("MAP_TILE_LABELS_URL", default="")
MAP_TILE_ATTRIBUTION = env.str("MAP_TILE_ATTRIBUTION", default="")
MAP_TILE_SUBDOMAINS = env.list("MAP_TILE_SUBDOMAINS", default=[])
MAP_TILE_MAX_ZOOM = env.int("MAP_TILE_MAX_ZOOM", default=18)
MAP_TILES_FILE = env.str("MAP_TILES_FILE", default="")
MAP_TILES_MAX_AGE = env.int("MAP_TILES_MAX_AGE", default=7 * 24 * 3600)

REST_FRAMEWORK = {
    # Token first: DRF answers an anonymous call with the first class's challenge, so it gets
    # 401 with `WWW-Authenticate: Token` (session first would make it a bare 403). The pages'
    # own fetch calls still sign in by their session.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "grids.access.HasCurrentAssignment",
    ],
    # JSON with a depth limit, never RecursionError (gridgov.bad_input); forms and photos.
    "DEFAULT_PARSER_CLASSES": [
        "gridgov.bad_input.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "cases.api.schema.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "cases.api.exceptions.exception_handler",
}
# API tokens (django-rest-knox): one per device (each sign-in makes one), stored as a hash,
# valid for API_TOKEN_TTL_DAYS from sign-in (not extended by use, so a stolen token dies on
# time). Revoked by logout/logoutall, a password change and deactivation (accounts.models).
API_TOKEN_TTL_DAYS = env.int("API_TOKEN_TTL_DAYS", default=30)
if API_TOKEN_TTL_DAYS < 1:
    raise ImproperlyConfigured("API_TOKEN_TTL_DAYS must be a whole number of days, 1 or more")
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=API_TOKEN_TTL_DAYS),
    "AUTO_REFRESH": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "GridGov API",
    "VERSION": "1",
    "DESCRIPTION": "Cases, their closed loop and the territory they belong to (DESIGN §4, §7).",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # A co-department's part (协办) has a status of its own beside the case's.
    "ENUM_NAME_OVERRIDES": {
        "PartStatusEnum": "cases.models.joint.PartStatus",
        "StatusEnum": "cases.models.case.CaseStatus",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# GridGov's own knobs.
GRID_INDEX_RECHECK_SECONDS = env.float("GRID_INDEX_RECHECK_SECONDS", default=2.0)

# Sign-in throttling (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one username
# from one address, that pair is refused for AXES_COOLOFF_MINUTES (a correct password too),
# on the sign-in page and the API's token endpoint alike. Keyed on the pair, so a stranger
# cannot lock a worker out from their own phone. The address is REMOTE_ADDR: behind a reverse
# proxy, add django-ipware and set AXES_IPWARE_PROXY_COUNT (see django-axes' docs).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"

# Personal data (residents app, README "Personal data").
# Searches of residents by a whole ID number or phone, per user and hour (each is logged).
RESIDENT_NUMBER_SEARCHES_PER_HOUR = env.int("RESIDENT_NUMBER_SEARCHES_PER_HOUR", default=20)
# django_ratelimit is used as a library, not an installed app: its system check refuses the
# database cache outright, which is the laptop's deliberate choice (see Cache above).
RATELIMIT_VIEW = "residents.views.rate_limited"
# Retention (PIPL): days after which residents who moved out are anonymised.
RETAIN_MOVED_OUT_DAYS = env.int("RETAIN_MOVED_OUT_DAYS", default=730)
# A resident reporter's or caller's contact is erased this many days after their case closed
# (or was not accepted): long enough to hear back, reopen and be called back about it.
RETAIN_REPORTER_CONTACT_DAYS = env.int("RETAIN_REPORTER_CONTACT_DAYS", default=365)
# A phone's repeat of a queued report under its Idempotency-Key is answered with the case
# already filed for this many days (idempotency.services); the keys are erased after it.
IDEMPOTENCY_KEY_DAYS = env.int("IDEMPOTENCY_KEY_DAYS", default=7)
