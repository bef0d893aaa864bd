"""The other standard CRM objects HubSpot documents (quotes, invoices, leads, orders …; the
table in hubspot_emulator/BEHAVIOR.md, "Object types"), one table each, `hubspot_<singular>`.

They have no core columns worth typing by hand: every property stays raw in `properties`,
and only the creation and last-modified times (`hs_createdate`, `hs_lastmodifieddate`, as
these objects name them) get typed columns. The typed views give analysts the rest.
"""

from django.db import models

from .base import HubSpotObject


class HubSpotStandardObject(HubSpotObject):
    hs_createdate = models.DateTimeField(null=True)
    hs_lastmodifieddate = models.DateTimeField(null=True)

    class Meta:
        abstract = True


class HubSpotQuote(HubSpotStandardObject):
    class Meta:
        db_table = "hubspot_quote"


class HubSpotCommunication(HubSpotStandardObject):
    class Meta:
        db_table = "hubspot_communication"


class HubSpotFeedbackSubmission(HubSpotStandardObject):
    class Meta:
        db_table = "hubspot_feedback_submission"


class HubSpotInvoice(HubSpotStandardObject):
    class Meta:
        db_table = "hubspot_invoice"


class HubSpotSubscription(HubSpotStandardObject):
    class Meta:
        db_table = "hubspot_subscription"


class HubSpotGoalTarget(HubSpotStandardObject):
    class Meta:
        db_table = "hubspot_goal_target"


class HubSpotDiscount(HubSpotStandardObject):
    class Meta:
        db_table = "hubspot_discount"


class HubSpotFee(HubSpotStandardObject):
    class Meta:
        db_table = "hubspot_fee"


class HubSpotTax(HubSpotStandardObject):
    class Meta:
        db_table = "hubspot_tax"


class HubSpotCommercePayment(HubSpotStandardObject):
    class Meta:
        db_table = "hubspot_commerce_payment"


class HubSpotUser(HubSpotStandardObject):
    class Meta:
        db_table = "hubspot_user"


class HubSpotPostalMail(HubSpotStandardObject):
    class Meta:
        db_table = "hubspot_postal_mail"


class HubSpotOrder(HubSpotStandardObject):
    class Meta:
        db_table = "hubspot_order"


class HubSpotLead(HubSpotStandardObject):
    class Meta:
        db_table = "hubspot_lead"


class HubSpotCart(HubSpotStandardObject):
    class Meta:
        db_table = "hubspot_cart"


class HubSpotService(HubSpotStandardObject):
    class Meta:
        db_table = "hubspot_service"


class HubSpotCourse(HubSpotStandardObject):
    class Meta:
        db_table = "hubspot_course"


class HubSpotListing(HubSpotStandardObject):
    class Meta:
        db_table = "hubspot_listing"


class HubSpotAppointment(HubSpotStandardObject):
    class Meta:
        db_table = "hubspot_appointment"


class HubSpotProject(HubSpotStandardObject):
    class Meta:
        db_table = "hubspot_project"


# Every model above, in the order `engines.registry` syncs them.
STANDARD_OBJECT_MODELS = (
    HubSpotQuote, HubSpotCommunication, HubSpotFeedbackSubmission, HubSpotInvoice,
    HubSpotSubscription, HubSpotGoalTarget, HubSpotDiscount, HubSpotFee, HubSpotTax,
    HubSpotCommercePayment, HubSpotUser, HubSpotPostalMail, HubSpotOrder, HubSpotLead, HubSpotCart,
    HubSpotService, HubSpotCourse, HubSpotListing, HubSpotAppointment, HubSpotProject,
)
