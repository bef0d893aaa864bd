from django.urls import path

from . import views

urlpatterns = [
    path("hubspot/webhooks/", views.receive, name="hubspot-webhooks"),
]
