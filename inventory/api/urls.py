from django.urls import re_path
from rest_framework.routers import SimpleRouter

from .views import (
    BomBulkView,
    ItemBulkView,
    ItemViewSet,
    LocationViewSet,
    ReceiptViewSet,
    StockMoveViewSet,
    StockViewSet,
    UnitOfMeasureViewSet,
)

router = SimpleRouter()
router.register("uoms", UnitOfMeasureViewSet, basename="uom")
router.register("items", ItemViewSet, basename="item")
router.register("locations", LocationViewSet, basename="location")
router.register("receipts", ReceiptViewSet, basename="receipt")
router.register("stock", StockViewSet, basename="stock")
router.register("stock-moves", StockMoveViewSet, basename="stock-move")

urlpatterns = [
    re_path(r"^bulk/items/$", ItemBulkView.as_view(), name="bulk-items"),
    re_path(r"^bulk/boms/$", BomBulkView.as_view(), name="bulk-boms"),
    *router.urls,
]
