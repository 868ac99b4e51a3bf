from django.urls import path

from . import views

app_name = "floor"
urlpatterns = [
    path("", views.home, name="home"),
    path("setup/", views.setup, name="setup"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("offline/", views.offline, name="offline"),
    path("sign-in/", views.sign_in, name="sign_in"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("act-as/", views.act_as, name="act_as"),
    path("downtime/", views.downtime, name="downtime"),
    path("instructions/<int:pk>/", views.instruction, name="instruction"),
    path("operations/<int:pk>/inspect/<int:plan_pk>/", views.inspect, name="inspect"),
    path("operations/<int:pk>/", views.operation, name="operation"),
    path(
        "operations/<int:pk>/<str:action>/",
        views.act,
        name="act",
    ),
]
