import django_filters

from mes.api.filters import UpdatedAfterFilterSet
from mes.api.viewsets import CodeResourceViewSet
from orders import services
from orders.models import Customer

from .serializers import CustomerSerializer


class CustomerFilter(UpdatedAfterFilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Customer
        fields = ("code",)


class CustomerViewSet(CodeResourceViewSet):
    queryset = Customer.objects.all()
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilter
    create_service = services.create_customer
    upsert_service = services.upsert_customer
    update_service = services.update_customer
