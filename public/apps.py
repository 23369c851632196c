from django.apps import AppConfig


class PublicConfig(AppConfig):
    """The resident portal (居民服务): report, track, rate, the public map, the grid survey."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "public"
    verbose_name = "居民服务 resident portal"
