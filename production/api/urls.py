from django.urls import re_path
from rest_framework.routers import SimpleRouter

from mes.api.viewsets import CODE_PATH_REGEX

from .execution import (
    CancelOrderView,
    CloseOrderView,
    CompleteOperationView,
    PauseOperationView,
    ReleaseOrderView,
    ReportOperationView,
    ResumeOperationView,
    StartOperationView,
)
from .machine_data import urlpatterns as machine_data_routes
from .scheduling import urlpatterns as scheduling_routes
from .views import (
    AreaViewSet,
    ItemRoutingVersionsView,
    ItemRoutingView,
    MachineViewSet,
    ReasonCodeViewSet,
    RoutingBulkView,
    SiteViewSet,
    WorkCenterViewSet,
)

router = SimpleRouter()
router.register("sites", SiteViewSet, basename="site")
router.register("areas", AreaViewSet, basename="area")
router.register("work-centers", WorkCenterViewSet, basename="work-center")
router.register("machines", MachineViewSet, basename="machine")
router.register("reason-codes", ReasonCodeViewSet, basename="reason-code")

# items/ itself belongs to the inventory app; these sub-paths are production's.
urlpatterns = [
    re_path(r"^bulk/routings/$", RoutingBulkView.as_view(), name="bulk-routings"),
    re_path(
        rf"^items/(?P<code>{CODE_PATH_REGEX})/routing/$",
        ItemRoutingView.as_view(),
        name="item-routing",
    ),
    re_path(
        rf"^items/(?P<code>{CODE_PATH_REGEX})/routing/versions/$",
        ItemRoutingVersionsView.as_view(),
        name="item-routing-versions",
    ),
    *router.urls,
]

# Execution: transitions of production orders and their operations.
# (The production-orders/ collection and detail are the orders app's.)
ORDER_PATH = rf"^production-orders/(?P<code>{CODE_PATH_REGEX})"
OPERATION_PATH = rf"{ORDER_PATH}/operations/(?P<seq>[0-9]{{1,9}})"
urlpatterns += [
    re_path(
        rf"{ORDER_PATH}/release/$", ReleaseOrderView.as_view(), name="production-order-release"
    ),
    re_path(rf"{ORDER_PATH}/cancel/$", CancelOrderView.as_view(), name="production-order-cancel"),
    re_path(rf"{ORDER_PATH}/close/$", CloseOrderView.as_view(), name="production-order-close"),
    re_path(rf"{OPERATION_PATH}/start/$", StartOperationView.as_view(), name="operation-start"),
    re_path(rf"{OPERATION_PATH}/pause/$", PauseOperationView.as_view(), name="operation-pause"),
    re_path(rf"{OPERATION_PATH}/resume/$", ResumeOperationView.as_view(), name="operation-resume"),
    re_path(rf"{OPERATION_PATH}/report/$", ReportOperationView.as_view(), name="operation-report"),
    re_path(
        rf"{OPERATION_PATH}/complete/$", CompleteOperationView.as_view(), name="operation-complete"
    ),
]

# Machine data: bulk ingest of machine signals.
urlpatterns += machine_data_routes

# Scheduling: runs, publishing, and the dispatch lists that follow.
urlpatterns += scheduling_routes
