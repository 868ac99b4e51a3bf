from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_roles_after_migrate(sender, using="default", **kwargs):
    from django.contrib.auth.management import create_permissions

    from .roles import sync_roles

    # Permissions of apps listed after this one are created later in the same
    # migrate run; make them now so the roles can be granted them.
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    sync_roles()


class MesConfig(AppConfig):
    name = "mes"
    verbose_name = _("System")

    def ready(self) -> None:
        post_migrate.connect(_sync_roles_after_migrate, sender=self)
