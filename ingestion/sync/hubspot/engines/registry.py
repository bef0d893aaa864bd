"""Which engine mirrors which HubSpot object type: the one list every command and job uses.

Record types (CRM objects with ids, modified times, archived copies and links) are the ones
link refresh, deletion detection, verification and webhook events work on; definitions
(properties, owners, pipelines) are always read whole.
"""

from __future__ import annotations

from ..client import HubSpotClient
from .appointments import HubSpotAppointmentSyncEngine
from .base import HubSpotBaseSyncEngine
from .calls import HubSpotCallSyncEngine
from .carts import HubSpotCartSyncEngine
from .commerce_payments import HubSpotCommercePaymentSyncEngine
from .communications import HubSpotCommunicationSyncEngine
from .companies import HubSpotCompanySyncEngine
from .contacts import HubSpotContactSyncEngine
from .courses import HubSpotCourseSyncEngine
from .custom_objects import HubSpotCustomObjectSyncEngine, readable_schemas
from .deals import HubSpotDealSyncEngine
from .discounts import HubSpotDiscountSyncEngine
from .emails import HubSpotEmailSyncEngine
from .feedback_submissions import HubSpotFeedbackSubmissionSyncEngine
from .fees import HubSpotFeeSyncEngine
from .forms import HubSpotFormSyncEngine
from .goal_targets import HubSpotGoalTargetSyncEngine
from .invoices import HubSpotInvoiceSyncEngine
from .leads import HubSpotLeadSyncEngine
from .line_items import HubSpotLineItemSyncEngine
from .listings import HubSpotListingSyncEngine
from .lists import HubSpotListSyncEngine
from .meetings import HubSpotMeetingSyncEngine
from .notes import HubSpotNoteSyncEngine
from .orders import HubSpotOrderSyncEngine
from .owners import HubSpotOwnerSyncEngine
from .pipelines import HubSpotPipelineStageSyncEngine, HubSpotPipelineSyncEngine
from .postal_mail import HubSpotPostalMailSyncEngine
from .products import HubSpotProductSyncEngine
from .projects import HubSpotProjectSyncEngine
from .properties import HubSpotPropertySyncEngine
from .quotes import HubSpotQuoteSyncEngine
from .services import HubSpotServiceSyncEngine
from .subscriptions import HubSpotSubscriptionSyncEngine
from .tasks import HubSpotTaskSyncEngine
from .taxes import HubSpotTaxSyncEngine
from .tickets import HubSpotTicketSyncEngine
from .users import HubSpotUserSyncEngine

DEFINITION_ENGINES = (
    HubSpotPropertySyncEngine, HubSpotOwnerSyncEngine,
    HubSpotPipelineSyncEngine, HubSpotPipelineStageSyncEngine,
)
# In dependency order: what records refer to comes first.
RECORD_ENGINES: tuple[type[HubSpotBaseSyncEngine], ...] = (
    HubSpotCompanySyncEngine, HubSpotContactSyncEngine, HubSpotDealSyncEngine,
    HubSpotTicketSyncEngine, HubSpotProductSyncEngine, HubSpotLineItemSyncEngine,
    HubSpotCallSyncEngine, HubSpotEmailSyncEngine, HubSpotMeetingSyncEngine,
    HubSpotNoteSyncEngine, HubSpotTaskSyncEngine,
    # The other standard objects (models/standard.py): no typed columns but their times.
    HubSpotQuoteSyncEngine, HubSpotCommunicationSyncEngine, HubSpotFeedbackSubmissionSyncEngine,
    HubSpotInvoiceSyncEngine, HubSpotSubscriptionSyncEngine, HubSpotGoalTargetSyncEngine,
    HubSpotDiscountSyncEngine, HubSpotFeeSyncEngine, HubSpotTaxSyncEngine,
    HubSpotCommercePaymentSyncEngine, HubSpotUserSyncEngine, HubSpotPostalMailSyncEngine,
    HubSpotOrderSyncEngine, HubSpotLeadSyncEngine, HubSpotCartSyncEngine, HubSpotServiceSyncEngine,
    HubSpotCourseSyncEngine, HubSpotListingSyncEngine, HubSpotAppointmentSyncEngine,
    HubSpotProjectSyncEngine,
)
# Lists and forms: definitions with what hangs off them (memberships, submissions), read
# after the records they name.
MARKETING_ENGINES = (HubSpotListSyncEngine, HubSpotFormSyncEngine)
BY_NAME = {engine.object_type: engine for engine in RECORD_ENGINES}
HubSpotPropertySyncEngine.record_engines = RECORD_ENGINES  # their typed views follow


class UnknownObjectType(ValueError):
    pass


def record_engines(names: list[str] | None, client: HubSpotClient
                   ) -> list[type[HubSpotBaseSyncEngine]]:
    """The engines for these type names (`contacts`, or a custom type's `2-…` id or name),
    in dependency order; every record type, custom ones included, when `names` is None.
    Custom types are looked up in the schemas API only when needed."""
    wanted = None if names is None else list(dict.fromkeys(names))
    standard = [e for e in RECORD_ENGINES if wanted is None or e.object_type in wanted]
    rest = [] if wanted is None else [n for n in wanted if n not in BY_NAME]
    if wanted is not None and not rest:
        return standard
    schemas = readable_schemas(client) or []
    custom = {str(s["objectTypeId"]): s for s in schemas}
    custom.update({str(s.get("name")): s for s in schemas if s.get("name")})
    unknown = [n for n in rest if n not in custom]
    if unknown:
        known = [e.object_type for e in RECORD_ENGINES] + sorted(custom)
        raise UnknownObjectType(f"unknown object type(s) {', '.join(unknown)}; known: "
                                f"{', '.join(known)}")
    chosen = schemas if wanted is None else [custom[n] for n in rest]
    return standard + [HubSpotCustomObjectSyncEngine.for_schema(s) for s in chosen]
