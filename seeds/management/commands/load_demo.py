from django.core.management.base import BaseCommand
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mes.roles import Role
from seeds import demo_plant
from seeds.services import load_demo_plant


class Command(BaseCommand):
    help = gettext_lazy(
        "Load the demo plant (Daehan Precision, Hwaseong). Safe to run on every start: "
        "only what is missing is created, nothing is changed."
    )

    def handle(self, *args, **options):
        created = load_demo_plant(actor=None, today=timezone.localdate())
        if created:
            self.stdout.write(_("Demo plant loaded:"))
            for kind, count in sorted(created.items()):
                self.stdout.write(f"  {kind}: {count}")
        else:
            self.stdout.write(_("The demo plant is already loaded; nothing to do."))
        self.stdout.write("")
        self.stdout.write(_("Demo sign-ins (admin at /admin/; operators use badge and PIN):"))
        for person in demo_plant.PEOPLE:
            sign_ins = []
            if person.password:
                sign_ins.append(_("password %(password)s") % {"password": person.password})
            if person.badge_id:
                sign_ins.append(
                    _("badge %(badge)s, PIN %(pin)s")
                    % {"badge": person.badge_id, "pin": person.pin}
                )
            self.stdout.write(
                f"  {person.username:<12} {Role(person.role).label!s:<18} {'; '.join(sign_ins)}"
            )
