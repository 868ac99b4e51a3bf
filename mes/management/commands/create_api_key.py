from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from mes.errors import DomainError
from mes.roles import MACHINE_ROLES
from mes.services import create_api_key


class Command(BaseCommand):
    help = "Make an API key for a machine client and print it once, alone on the last line."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--role", required=True, choices=sorted(MACHINE_ROLES))
        parser.add_argument(
            "--site", help="A site's code: the key sees and changes only that site's data."
        )

    def handle(self, *args, name, role, site, **options):
        site_record = None
        if site is not None:
            site_record = apps.get_model("production", "Site").objects.filter(code=site).first()
            if site_record is None:
                raise CommandError(_("No site with the code '%(code)s'.") % {"code": site})
        try:
            key, raw_key = create_api_key(actor=None, name=name, role=role, site=site_record)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        scope = f" for site '{site}'" if site else ""
        self.stdout.write(
            f"API key '{key.name}' with role '{key.role}'{scope} created. It is shown once:"
        )
        self.stdout.write(raw_key)
