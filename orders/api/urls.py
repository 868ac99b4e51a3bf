from django.urls import re_path
from rest_framework.routers import SimpleRouter

from .distribution import urlpatterns as distribution_routes
from .trace import urlpatterns as trace_routes
from .views import CustomerBulkView, CustomerViewSet, ProductionOrderViewSet, SalesOrderViewSet

router = SimpleRouter()
router.register("customers", CustomerViewSet, basename="customer")
router.register("sales-orders", SalesOrderViewSet, basename="sales-order")
router.register("production-orders", ProductionOrderViewSet, basename="production-order")

urlpatterns = [
    re_path(r"^bulk/customers/$", CustomerBulkView.as_view(), name="bulk-customers"),
    *distribution_routes,
    *trace_routes,
    *router.urls,
]
