from django.core.management.base import BaseCommand, CommandError

from mes.errors import DomainError
from mes.roles import MACHINE_ROLES
from mes.services import create_api_key


class Command(BaseCommand):
    help = "Make an API key for a machine client and print it once, alone on the last line."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--role", required=True, choices=sorted(MACHINE_ROLES))

    def handle(self, *args, name, role, **options):
        try:
            key, raw_key = create_api_key(actor=None, name=name, role=role)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"API key '{key.name}' with role '{key.role}' created. It is shown once:")
        self.stdout.write(raw_key)
