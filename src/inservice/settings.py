"""Settings, all driven by the environment (12-factor) through django-environ.

`make run` writes a development `.env` with generated secrets; production must set
them explicitly and start-up fails when they are missing.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

SRC_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = SRC_DIR.parent
PACKAGE_DIR = SRC_DIR / "inservice"

env = environ.Env()
env_file = env.str("INSERVICE_ENV_FILE", default=str(BASE_DIR / ".env"))
if Path(env_file).is_file():
    env.read_env(env_file)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
TESTING = env.bool("INSERVICE_TESTING", default=False)
VAR_DIR = Path(env.str("INSERVICE_VAR_DIR", default=str(BASE_DIR / "var")))


def _secret(name, dev_default):
    value = env.str(name, default="")
    if value:
        return value
    if DEBUG or TESTING:
        return dev_default
    raise ImproperlyConfigured(f"Environment variable {name} is required in production.")


SECRET_KEY = _secret("DJANGO_SECRET_KEY", "dev-insecure-secret-key-change-me-0123456789abcdef")
# Earlier keys after a rotation: signatures they made (e.g. transcript codes) still verify.
SECRET_KEY_FALLBACKS = env.list("DJANGO_SECRET_KEY_FALLBACKS", default=[])
# ID numbers: AES-256-GCM keys as "keyid:base64key" separated by commas; the first one encrypts.
ID_ENCRYPTION_KEYS = _secret(
    "INSERVICE_ID_KEYS", "dev1:ZGV2LW9ubHkta2V5LWRldi1vbmx5LWtleS0wMDAwMDA="
)
# Keyed hash (HMAC-SHA256) for looking ID numbers up without decrypting.
ID_HMAC_KEY = _secret("INSERVICE_ID_HMAC_KEY", "dev-only-hmac-key-for-id-lookups")

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("INSERVICE_SITE_URL", default="http://127.0.0.1:8000")

# Generated PDFs embed (a subset of) this CJK font: a .ttf/.otf, or a .ttc collection with
# the face named by PDF_FONT_FACE (Debian/Ubuntu package fonts-noto-cjk; scripts/bootstrap.sh).
PDF_FONT = env.str(
    "INSERVICE_PDF_FONT", default="/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
)
PDF_FONT_FACE = env.str("INSERVICE_PDF_FONT_FACE", default="Noto Sans CJK TC")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "huey.contrib.djhuey",
    "axes",
    "captcha",
    "inservice.core",
    "inservice.organizations",
    "inservice.catalog",
    "inservice.accounts",
    "inservice.notifications",
    "inservice.courses",
    "inservice.enrollment",
    "inservice.search",
    "inservice.attendance",
    "inservice.records",
]

MIDDLEWARE = [
    "inservice.core.middleware.ServerTimingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "inservice.core.middleware.SiteLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "inservice.core.middleware.RequestContextMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "inservice.urls"
WSGI_APPLICATION = "inservice.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "inservice.core.context_processors.site",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # Django's backend with a health check that polls the socket first (core/postgresql).
    DATABASES["default"]["ENGINE"] = "inservice.core.postgresql"
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Parallel test runs (several developers, xdist) each get their own test database.
    DATABASES["default"]["TEST"] = {
        "NAME": "test_inservice" + env.str("INSERVICE_TEST_DB_SUFFIX", default="")
    }
else:
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20

# The hottest lookups run as server-side prepared statements (core/prepared.py); turn off
# behind a connection pooler in transaction mode.
DB_PREPARED_STATEMENTS = env.bool("DB_PREPARED_STATEMENTS", default=True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "inservice.accounts.backends.AccountBackend",
]

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "home"
PASSWORD_RESET_TIMEOUT = 60 * 60  # one hour; tokens are single-use by construction

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 8
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG and not TESTING)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("DJANGO_BEHIND_PROXY", default=False) else None
)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

LANGUAGE_CODE = "zh-hant"
LANGUAGES = [("zh-hant", "繁體中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Taipei"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
MEDIA_ROOT = VAR_DIR / "media"  # private; files are served only through permission-checked views
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not (DEBUG or TESTING)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Mail: EMAIL_URL (e.g. smtp+tls://user:pass@host:587); without it mail lands in var/mailbox/.
_email_url = env.str("EMAIL_URL", default="")
if _email_url:
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mailbox"
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="全國教師在職進修資訊網 <noreply@inservice.example>"
)

# Background jobs (Huey). SQLite storage by default, Redis when REDIS_URL is set.
REDIS_URL = env.str("REDIS_URL", default="")
HUEY_IMMEDIATE = env.bool("HUEY_IMMEDIATE", default=TESTING)
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "inservice",
        "url": REDIS_URL,
        "immediate": HUEY_IMMEDIATE,
        "consumer": {"workers": env.int("HUEY_WORKERS", default=2), "worker_type": "thread"},
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "inservice",
        "filename": str(VAR_DIR / "huey.sqlite3"),
        # No fsync per enqueue: with it, every web worker's hand-off waited on one SQLite file
        # (registration bursts ran at half speed). A job lost in a machine crash is recovered:
        # mail rows live in PostgreSQL and `resend_stuck_mail` re-queues them.
        "fsync": env.bool("HUEY_SQLITE_FSYNC", default=False),
        "immediate": HUEY_IMMEDIATE,
        "consumer": {"workers": env.int("HUEY_WORKERS", default=2), "worker_type": "thread"},
    }

CACHES = {
    "default": env.cache("CACHE_URL", default=REDIS_URL.replace("redis://", "rediscache://", 1))
    if (env.str("CACHE_URL", default="") or REDIS_URL)
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "inservice.core.cache.RedisCache"  # one client per process
# Sessions live in PostgreSQL. With a cache every process shares (Redis), they are read
# through it (`cached_db`): a request then costs no session query, and every write still
# reaches the database. A per-process cache (locmem) would keep a logged-out session alive in
# the other processes, so without a shared cache the plain database engine is used.
_SHARED_CACHE = "locmem" not in CACHES["default"]["BACKEND"].lower()
SESSION_ENGINE = env.str(
    "SESSION_ENGINE",
    default="django.contrib.sessions.backends." + ("cached_db" if _SHARED_CACHE else "db"),
)
# Public search results are kept this long in a shared cache (search/results_cache.py); a
# per-process cache could serve a result another process knows is stale, so none without one.
SEARCH_CACHE_SECONDS = env.int("SEARCH_CACHE_SECONDS", default=300 if _SHARED_CACHE else 0)

# Lock-out (django-axes): 5 failures lock the username/IP pair for 30 minutes.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_USERNAME_FORM_FIELD = "username"
AXES_VERBOSE = False
# Behind nginx the client address is in X-Forwarded-For; trust it only when told to.
AXES_IPWARE_PROXY_COUNT = env.int("AXES_PROXY_COUNT", default=0)
if AXES_IPWARE_PROXY_COUNT:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]
# An image captcha is added to the login form after this many failures.
LOGIN_CAPTCHA_AFTER_FAILURES = env.int("LOGIN_CAPTCHA_AFTER_FAILURES", default=3)
CAPTCHA_IMAGE_SIZE = (140, 48)
CAPTCHA_FONT_SIZE = 32
CAPTCHA_LETTER_ROTATION = (-20, 20)


LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_personal": {"()": "inservice.core.logging.MaskPersonalDataFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["mask_personal"]},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
