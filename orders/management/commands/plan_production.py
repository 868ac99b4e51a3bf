from datetime import date

from django.core.management.base import BaseCommand, CommandError

from mes.errors import DomainError
from orders.services import plan_production


class Command(BaseCommand):
    help = (
        "Create the production orders that open sales-order demand needs beyond stock and "
        "open production (sub-assemblies included); list raw materials to buy."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--today",
            type=date.fromisoformat,
            help="Plan as of this date (YYYY-MM-DD); sub-assemblies are never due before it.",
        )

    def handle(self, *args, today, **options):
        try:
            result = plan_production(actor=None, today=today)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        for order in result.created:
            reference = (
                f" for {order.sales_order_code}/{order.sales_order_line}"
                if (order.sales_order_line)
                else ""
            )
            self.stdout.write(
                f"created {order.code}: {order.qty.normalize():f} {order.item.code} "
                f"due {order.due_date.isoformat()}{reference}"
            )
        for shortage in result.shortages:
            self.stdout.write(
                f"to buy: {shortage.qty.normalize():f} {shortage.item} "
                f"by {shortage.due_date.isoformat()}"
            )
        self.stdout.write(
            f"{len(result.created)} production orders created, "
            f"{len(result.shortages)} raw material shortages."
        )
