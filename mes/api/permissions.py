from rest_framework import permissions

from . import scoping


class RoleModelPermissions(permissions.DjangoModelPermissions):
    """The role matrix (mes/roles.py) as Django model permissions; reading needs `view`."""

    perms_map = {
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "POST": ["%(app_label)s.add_%(model_name)s"],
        "PUT": ["%(app_label)s.change_%(model_name)s", "%(app_label)s.add_%(model_name)s"],
        "PATCH": ["%(app_label)s.change_%(model_name)s"],
        "DELETE": ["%(app_label)s.delete_%(model_name)s"],
    }

    def has_permission(self, request, view):
        # The client's site scope holds for the rest of the request (mes.api.scoping).
        scoping.activate(request.user)
        # A method the view does not offer is 405 for every signed-in client, not
        # 403 for those who lack the matching permission.
        user = request.user
        if user and user.is_authenticated and not hasattr(view, request.method.lower()):
            return True
        return super().has_permission(request, view)
