from rest_framework.routers import SimpleRouter

from .views import CustomerViewSet, ProductionOrderViewSet, SalesOrderViewSet

router = SimpleRouter()
router.register("customers", CustomerViewSet, basename="customer")
router.register("sales-orders", SalesOrderViewSet, basename="sales-order")
router.register("production-orders", ProductionOrderViewSet, basename="production-order")

urlpatterns = router.urls
