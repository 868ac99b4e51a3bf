from rest_framework.routers import SimpleRouter

from .views import ItemViewSet, UnitOfMeasureViewSet

router = SimpleRouter()
router.register("uoms", UnitOfMeasureViewSet, basename="uom")
router.register("items", ItemViewSet, basename="item")

urlpatterns = router.urls
