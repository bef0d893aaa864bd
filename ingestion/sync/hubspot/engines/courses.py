from ingestion.models import HubSpotCourse

from .base import HubSpotBaseSyncEngine


class HubSpotCourseSyncEngine(HubSpotBaseSyncEngine):
    object_type = "courses"
    model = HubSpotCourse
    created_property = "hs_createdate"
    association_types = ("contacts", "companies")
