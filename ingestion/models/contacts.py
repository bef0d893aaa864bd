from django.db import models

from .base import HubSpotObject


class HubSpotContact(HubSpotObject):
    email = models.TextField(null=True, db_index=True)
    firstname = models.TextField(null=True)
    lastname = models.TextField(null=True)
    phone = models.TextField(null=True)
    mobilephone = models.TextField(null=True)
    company = models.TextField(null=True)
    jobtitle = models.TextField(null=True)
    website = models.TextField(null=True)
    city = models.TextField(null=True)
    state = models.TextField(null=True)
    country = models.TextField(null=True)
    lifecyclestage = models.TextField(null=True)
    hs_lead_status = models.TextField(null=True)
    hubspot_owner_id = models.TextField(null=True)
    lastmodifieddate = models.DateTimeField(null=True)
    createdate = models.DateTimeField(null=True)

    class Meta:
        db_table = "hubspot_contact"
