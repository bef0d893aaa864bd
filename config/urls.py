from django.contrib import admin
from django.urls import include, path

from ingestion.ops import health, metrics

urlpatterns: list = [
    path("", include("ingestion.webhooks.urls")),
    path("health/", health.health, name="health"),  # probes: no login
    path("metrics", metrics.metrics, name="metrics"),  # Prometheus; METRICS_TOKEN if set
    path("admin/", admin.site.urls),  # read-only mirror, runs, errors
    path("", include("ingestion.ops.status_urls")),  # /status/
]
