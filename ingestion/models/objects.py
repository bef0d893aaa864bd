"""Companies, deals, tickets, products and line items (docs/data-model.md).

Typed columns are named exactly as the HubSpot properties; every property (custom ones
too) stays raw in `properties`. Money and quantities are decimals: HubSpot sends numbers
as strings, and a float would round them.
"""

from django.db import models

from .base import HubSpotObject


def _decimal() -> models.DecimalField:
    return models.DecimalField(max_digits=24, decimal_places=6, null=True)


class HubSpotCompany(HubSpotObject):
    name = models.TextField(null=True)
    domain = models.TextField(null=True, db_index=True)
    website = models.TextField(null=True)
    industry = models.TextField(null=True)
    type = models.TextField(null=True)
    city = models.TextField(null=True)
    state = models.TextField(null=True)
    country = models.TextField(null=True)
    phone = models.TextField(null=True)
    numberofemployees = models.BigIntegerField(null=True)
    annualrevenue = _decimal()
    hubspot_owner_id = models.TextField(null=True, db_index=True)
    lifecyclestage = models.TextField(null=True)
    createdate = models.DateTimeField(null=True)
    hs_lastmodifieddate = models.DateTimeField(null=True)

    class Meta:
        db_table = "hubspot_company"


class HubSpotDeal(HubSpotObject):
    dealname = models.TextField(null=True)
    amount = _decimal()
    closedate = models.DateTimeField(null=True)
    pipeline = models.TextField(null=True)
    dealstage = models.TextField(null=True)
    dealtype = models.TextField(null=True)
    hubspot_owner_id = models.TextField(null=True, db_index=True)
    deal_currency_code = models.TextField(null=True)
    hs_is_closed_won = models.BooleanField(null=True)
    createdate = models.DateTimeField(null=True)
    hs_lastmodifieddate = models.DateTimeField(null=True)

    class Meta:
        db_table = "hubspot_deal"


class HubSpotTicket(HubSpotObject):
    subject = models.TextField(null=True)
    content = models.TextField(null=True)
    hs_pipeline = models.TextField(null=True)
    hs_pipeline_stage = models.TextField(null=True)
    hs_ticket_priority = models.TextField(null=True)
    hs_ticket_category = models.TextField(null=True)
    hubspot_owner_id = models.TextField(null=True, db_index=True)
    closed_date = models.DateTimeField(null=True)
    createdate = models.DateTimeField(null=True)
    hs_lastmodifieddate = models.DateTimeField(null=True)

    class Meta:
        db_table = "hubspot_ticket"


class HubSpotProduct(HubSpotObject):
    name = models.TextField(null=True)
    description = models.TextField(null=True)
    price = _decimal()
    hs_sku = models.TextField(null=True)
    hs_cost_of_goods_sold = _decimal()
    hs_recurring_billing_period = models.TextField(null=True)
    createdate = models.DateTimeField(null=True)
    hs_lastmodifieddate = models.DateTimeField(null=True)

    class Meta:
        db_table = "hubspot_product"


class HubSpotLineItem(HubSpotObject):
    name = models.TextField(null=True)
    quantity = _decimal()
    price = _decimal()
    amount = _decimal()
    hs_product_id = models.TextField(null=True, db_index=True)
    hs_sku = models.TextField(null=True)
    hs_line_item_currency_code = models.TextField(null=True)
    createdate = models.DateTimeField(null=True)
    hs_lastmodifieddate = models.DateTimeField(null=True)

    class Meta:
        db_table = "hubspot_line_item"
