from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


class StandardPagination(PageNumberPagination):
    """Pages of 100 by default; `page_size` 1–1000, anything else is a 400 naming it."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000

    def get_page_size(self, request):
        given = request.query_params.getlist(self.page_size_query_param)
        if not given:
            return self.page_size
        if len(given) == 1 and given[0].isascii() and given[0].isdigit():
            size = int(given[0])
            if 1 <= size <= self.max_page_size:
                return size
        message = _("A whole number from 1 to %(max)d, given once.") % {"max": self.max_page_size}
        raise ValidationError({self.page_size_query_param: [message]})

    def get_page_number(self, request, paginator):
        given = request.query_params.getlist(self.page_query_param)
        if len(given) > 1 or given == [""]:
            raise ValidationError({self.page_query_param: [_("A page number, given once.")]})
        return super().get_page_number(request, paginator)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] |= {"minimum": 1, "maximum": self.max_page_size}
            else:
                parameter["schema"] |= {"minimum": 1}
        return parameters
