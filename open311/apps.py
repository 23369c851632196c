from django.apps import AppConfig


class Open311Config(AppConfig):
    """Open311 GeoReport v2 (``/open311/v2/``): a thin adapter over the portal's intake and
    public reads, for apps and city systems that speak the standard."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "open311"
    verbose_name = "Open311 GeoReport v2"
