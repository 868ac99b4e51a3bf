from django.urls import re_path
from rest_framework.routers import SimpleRouter

from mes.api.viewsets import CODE_PATH_REGEX

from .views import (
    AreaViewSet,
    ItemRoutingVersionsView,
    ItemRoutingView,
    MachineViewSet,
    ReasonCodeViewSet,
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
