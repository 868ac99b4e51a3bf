"""The quality API: inspection plans, inspections, SPC; nonconformances and lot holds."""

from .inspections import urlpatterns as inspection_routes
from .nonconformances import urlpatterns as nonconformance_routes

urlpatterns = [*inspection_routes, *nonconformance_routes]
