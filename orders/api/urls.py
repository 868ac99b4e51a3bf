from rest_framework.routers import SimpleRouter

from .views import CustomerViewSet, SalesOrderViewSet

router = SimpleRouter()
router.register("customers", CustomerViewSet, basename="customer")
router.register("sales-orders", SalesOrderViewSet, basename="sales-order")

urlpatterns = router.urls
