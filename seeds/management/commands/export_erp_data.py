import json

from django.core.management.base import BaseCommand

from seeds.erp_export import demo_plant_for_erp


class Command(BaseCommand):
    help = "Print the demo plant as an ERP holds it (docs/examples/demo-plant.json)."

    def handle(self, *args, **options):
        self.stdout.write(json.dumps(demo_plant_for_erp(), ensure_ascii=False, indent=1))
