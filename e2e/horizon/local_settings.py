# Horizon's local_settings for the e2e check (e2e/horizon/horizon.sh copies it into the venv's
# openstack_dashboard/local/). Everything that differs between the sandbox and real regions comes from the
# environment horizon.sh sets: HORIZON_KEYSTONE_URL, HORIZON_REGION, HORIZON_LOG.
import os

# DEBUG: Django serves the static files itself and django_compressor compiles the SCSS on first use, so there
# is no collectstatic/compress step to pay for in CI (this is a test server on loopback, never a deployment).
DEBUG = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
SECRET_KEY = "tricircle-e2e-horizon-not-a-secret"
COMPRESS_OFFLINE = False

# One process (runserver), so the local-memory cache is shared by every request and can hold the sessions:
# a signed cookie would carry the whole token and catalog, over the browsers' 4 KiB cookie limit.
# Sessions get a cache of their own: django_compressor fills the default one, and local memory culls a third
# of its entries when it reaches MAX_ENTRIES, sessions included ("The request's session was deleted before the
# request completed" on the first page after login).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "OPTIONS": {"MAX_ENTRIES": 10000}},
    "sessions": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "sessions",
                 "OPTIONS": {"MAX_ENTRIES": 10000}},
}
SESSION_ENGINE = "django.contrib.sessions.backends.cache"
SESSION_CACHE_ALIAS = "sessions"
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SESSION_TIMEOUT = 3600

OPENSTACK_KEYSTONE_URL = os.environ.get("HORIZON_KEYSTONE_URL", "http://127.0.0.1:15000/v3")
OPENSTACK_KEYSTONE_DEFAULT_ROLE = "member"
OPENSTACK_KEYSTONE_MULTIDOMAIN_SUPPORT = False
OPENSTACK_KEYSTONE_DEFAULT_DOMAIN = "Default"
# The region Horizon talks to after login: the gateway's (CentralRegion) unless told otherwise. The catalog
# also lists RegionOne/RegionTwo, so the header keeps its region menu.
DEFAULT_SERVICE_REGIONS = {"*": os.environ.get("HORIZON_REGION", "CentralRegion")}
OPENSTACK_ENDPOINT_TYPE = "publicURL"

OPENSTACK_NEUTRON_NETWORK = {
    "enable_router": True,
    "enable_quotas": True,
    "enable_ipv6": False,
    "enable_distributed_router": False,
    "enable_ha_router": False,
    "enable_fip_topology_check": True,
}
OPENSTACK_HYPERVISOR_FEATURES = {"can_set_mount_point": False, "can_set_password": False}
LAUNCH_INSTANCE_DEFAULTS = {"create_volume": False}
TIME_ZONE = "UTC"

# Every API call Horizon makes (keystoneauth logs REQ/RESP at DEBUG) goes to one file, so a page that fails
# names the exact call that failed.
LOG_FILE = os.environ.get("HORIZON_LOG", "/tmp/tricircle-horizon-api.log")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "file": {"class": "logging.FileHandler", "filename": LOG_FILE, "formatter": "plain"},
        "null": {"class": "logging.NullHandler"},
    },
    "loggers": {
        "": {"handlers": ["file"], "level": "INFO"},
        "keystoneauth": {"handlers": ["file"], "level": "DEBUG", "propagate": False},
        "novaclient": {"handlers": ["file"], "level": "DEBUG", "propagate": False},
        "cinderclient": {"handlers": ["file"], "level": "DEBUG", "propagate": False},
        "glanceclient": {"handlers": ["file"], "level": "DEBUG", "propagate": False},
        "neutronclient": {"handlers": ["file"], "level": "DEBUG", "propagate": False},
        "openstack_dashboard": {"handlers": ["file"], "level": "DEBUG", "propagate": False},
        "horizon": {"handlers": ["file"], "level": "DEBUG", "propagate": False},
        "openstack_auth": {"handlers": ["file"], "level": "DEBUG", "propagate": False},
        "django.template": {"handlers": ["null"], "propagate": False},
        "django.db.backends": {"handlers": ["null"], "propagate": False},
    },
}
