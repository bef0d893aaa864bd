from django.urls import path
from django.views.generic import RedirectView

from . import status_page

urlpatterns = [
    path("status/", status_page.status, name="hubspot-status"),
    # The site's root (and the admin's "View site") lead to the status page, not a 404.
    path("", RedirectView.as_view(pattern_name="hubspot-status"), name="home"),
]
