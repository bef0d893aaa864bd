from django.urls import path

from . import status_page

urlpatterns = [
    path("status/", status_page.status, name="hubspot-status"),
]
