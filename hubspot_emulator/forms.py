"""Marketing forms v3 (and the dated forms API) and their submissions (form-integrations v1),
plus the control operation that adds a submission.

HubSpot facts (forms v3 reference and SDK models; "Get submissions for a form", read 2026-11):
- `GET /marketing/v3/forms/` (the SDK's spelling, with the slash) `?limit&after&archived&
  formTypes` → `{results, paging.next.after}`; by default only `hubspot` forms, and with
  `archived=true` only archived ones. `formTypes` is an array (repeated, or comma-separated
  here) of `hubspot`, `captured`, `flow`, `blog_comment` or `all` (the spec's enum). A
  form: `id` (a GUID), `name`, `formType`, `createdAt`, `updatedAt`, `archived`,
  `fieldGroups[{groupType, richTextType, fields[…]}]`, `configuration`, `displayOptions`,
  `legalConsentOptions` (all required by the SDK).
- `GET /form-integrations/v1/submissions/forms/{formGuid}?limit&after` → `{results:
  [{conversionId, submittedAt (epoch ms, a number), values: [{name, value}], pageUrl}],
  paging.next.{after, link}}`, newest first ("reverse-chronological"); `limit` default 20,
  at most 50. There is no submission id, and no dated version of this endpoint. It serves
  `hubspot`, `captured` and `flow` forms; for a `blog_comment` form HubSpot answers 400
  (docs/hubspot-api.md#lists-and-forms).

Choices (BEHAVIOR.md): forms are listed in creation order, `limit` at most 100 (a 400 past
it); the submissions cursor is a position (submittedAt, arrival), so submissions arriving
while a client pages never shift the pages it has not read yet; an archived form's
submissions are still served; an unknown form is a 404; a `formTypes` value outside the
enum is a 400; the 400 for a blog comment form's submissions is a VALIDATION_ERROR.
"""

from __future__ import annotations

import base64
import binascii
import random
import uuid
from dataclasses import dataclass, field

from aiohttp import web

from .errors import ApiError, validation
from .handling import (
    control_handler,
    emulator,
    flag,
    int_param,
    json_body,
    json_response,
    multi,
    next_link,
)
from .routes import FORM_SUBMISSIONS, FORMS, FORMS_V2, Access, serve
from .seeded import per_store
from .state import Emulator
from .store import Store
from .timeutil import DAY_MS, FIXED_EPOCH_MS, iso_ms

FORMS_DEFAULT, FORMS_MAX = 20, 100
SUBMISSIONS_DEFAULT, SUBMISSIONS_MAX = 20, 50
SEEDED_SUBMISSIONS_MAX = 5_000  # per form: big portals stay cheap to build (*choice*)
FORM_TYPES = ("hubspot", "captured", "flow", "blog_comment")
# HubSpot keeps no submissions the v1 API serves for these (docs/hubspot-api.md#lists-and-forms).
NO_SUBMISSIONS = frozenset({"blog_comment"})


@dataclass
class Submission:
    submitted_ms: int
    seq: int  # arrival order: ties in submittedAt keep a stable order
    values: list[dict]
    page_url: str
    conversion_id: str

    def json(self) -> dict:
        return {"conversionId": self.conversion_id, "submittedAt": self.submitted_ms,
                "values": self.values, "pageUrl": self.page_url}


@dataclass
class PortalForm:
    form_id: str
    name: str
    created_ms: int
    fields: list[tuple[str, str, str]]  # (name, label, fieldType)
    archived_ms: int | None = None
    submissions: list[Submission] = field(default_factory=list)
    form_type: str = "hubspot"

    def json(self) -> dict:
        out = {"id": self.form_id, "name": self.name, "formType": self.form_type,
               "createdAt": iso_ms(self.created_ms), "updatedAt": iso_ms(self.created_ms),
               "archived": self.archived_ms is not None,
               "fieldGroups": [_group(f) for f in self.fields],
               "configuration": _CONFIGURATION, "displayOptions": _DISPLAY,
               "legalConsentOptions": {"type": "none"}}
        if self.archived_ms is not None:
            out["archivedAt"] = iso_ms(self.archived_ms)
        return out


@dataclass
class FormsState:
    forms: dict[str, PortalForm] = field(default_factory=dict)
    next_seq: int = 0
    rng: random.Random = field(default_factory=random.Random)

    def submit(self, form: PortalForm, submitted_ms: int, values: list[dict],
               page_url: str, conversion_id: str | None = None) -> Submission:
        made = Submission(submitted_ms, self.next_seq, values, page_url, conversion_id or
                          str(uuid.UUID(int=self.rng.getrandbits(128), version=4)))
        self.next_seq += 1
        form.submissions.append(made)
        return made


@per_store
def forms_of(store: Store) -> FormsState:
    """The portal's forms, seeded on first use."""
    return _seed(store)


# -- the form JSON HubSpot's SDK needs ---------------------------------------------------------

_CONFIGURATION = {"language": "en", "cloneable": True, "editable": True, "archivable": True,
                  "postSubmitAction": {"type": "thank_you",
                                       "value": "Thanks for submitting the form."},
                  "recaptchaEnabled": False, "notifyContactOwner": False,
                  "notifyRecipients": [], "createNewContactForNewEmail": False,
                  "prePopulateKnownValues": True, "allowLinkToResetKnownValues": False,
                  "lifecycleStages": []}
_DISPLAY = {"renderRawHtml": False, "theme": "default_style", "submitButtonText": "Submit",
            "style": {"fontFamily": "arial, helvetica, sans-serif", "backgroundWidth": "100%",
                      "labelTextColor": "#33475b", "labelTextSize": "13px",
                      "helpTextColor": "#7C98B6", "helpTextSize": "11px",
                      "legalConsentTextColor": "#33475b", "legalConsentTextSize": "14px",
                      "submitColor": "#ff7a59", "submitAlignment": "left",
                      "submitFontColor": "#ffffff", "submitSize": "12px"}}


def _group(spec: tuple[str, str, str]) -> dict:
    name, label, field_type = spec
    one = {"objectTypeId": "0-1", "name": name, "label": label, "required": name == "email",
           "hidden": False, "fieldType": field_type, "dependentFields": []}
    if field_type == "email":
        one["validation"] = {"blockedEmailDomains": [], "useDefaultBlockList": False}
    return {"groupType": "default_group", "richTextType": "text", "fields": [one]}


# -- seeding ---------------------------------------------------------------------------------

_EMAIL = ("email", "Email", "email")
_FIRST = ("firstname", "First name", "single_line_text")
_LAST = ("lastname", "Last name", "single_line_text")
_MESSAGE = ("message", "Message", "multi_line_text")
_COMPANY = ("company", "Company", "single_line_text")
_INTERESTS = ("interests", "Interests", "multiple_checkboxes")
_COMMENT = ("comment", "Comment", "multi_line_text")
# (name, type, fields, page, submissions per contact: every m-th live contact, r times (none:
# no submissions); archived). The other types come after the first four, so those keep their
# ids and submissions whatever is added here.
_SEEDED = (
    ("Contact us", "hubspot", (_EMAIL, _FIRST, _LAST, _MESSAGE), "/contact", (2, 1), False),
    ("Newsletter signup", "hubspot", (_EMAIL, _FIRST), "/blog", (1, 2), False),
    ("Webinar registration", "hubspot", (_EMAIL, _FIRST, _LAST), "/webinar", (4, 1), False),
    ("Spring event 2025", "hubspot", (_EMAIL, _FIRST, _LAST), "/events/spring", (8, 1), True),
    ("Pricing page form", "captured", (_EMAIL, _COMPANY, _INTERESTS), "/pricing", (5, 1),
     False),
    ("Exit-intent pop-up", "flow", (_EMAIL, _FIRST), "/blog/post", (6, 1), False),
    ("Holiday pop-up 2024", "flow", (_EMAIL,), "/holiday", (10, 1), True),
    ("Blog comments", "blog_comment", (_EMAIL, _FIRST, _COMMENT), "/blog/post", None, False),
)


def _seed(store: Store) -> FormsState:
    state = FormsState(rng=random.Random(store.seed * 7919 + 17))
    contacts = store.types["contacts"]
    for k, (name, kind, fields, page, spread, archived) in enumerate(_SEEDED):
        created = FIXED_EPOCH_MS - (500 - 20 * k) * DAY_MS
        form = PortalForm(str(uuid.UUID(int=state.rng.getrandbits(128), version=4)), name,
                          created, list(fields),
                          FIXED_EPOCH_MS - 30 * DAY_MS if archived else None, form_type=kind)
        state.forms[form.form_id] = form
        every, times = spread or (1, 0)
        for idx in _every(contacts, every, times):
            values = _values(contacts.live.values(idx), fields)
            at = created + DAY_MS + state.rng.randrange(400 * DAY_MS)
            state.submit(form, at, values, f"https://www.example.com{page}")
    return state


def _every(contacts, every: int, times: int) -> list[int]:
    picked = [idx for idx in contacts.live.iter_live(0) if idx % every == 0]
    return (picked * times)[:SEEDED_SUBMISSIONS_MAX]


_CANNED = {"message": "Please call me back.", "company": "Example Corp",
           # a multiple-checkbox answer: the options ticked in one value, `;` between them
           "interests": "Product A;Product B"}


def _values(record: dict, fields) -> list[dict]:
    out = []
    for name, _label, _kind in fields:
        value = _CANNED.get(name) or record.get(name)
        if value:
            out.append({"name": name, "value": str(value)})
    return out


# -- API handlers ----------------------------------------------------------------------------

async def list_forms(request: web.Request) -> web.Response:
    q = request.query
    limit = int_param(q.get("limit"), "limit", FORMS_DEFAULT)
    if not 1 <= limit <= FORMS_MAX:
        raise validation(f"limit must be between 1 and {FORMS_MAX}")
    kinds = _form_types(q)
    archived = flag(q.get("archived"))
    rows = [f for f in forms_of(emulator(request).store).forms.values()
            if (f.archived_ms is not None) == archived and f.form_type in kinds]
    start = _offset(q.get("after"))
    out: dict = {"results": [f.json() for f in rows[start:start + limit]]}
    if start + limit < len(rows):
        after = _encode(f"o:{start + limit}")
        out["paging"] = {"next": {"after": after, "link": next_link(request, after)}}
    return json_response(out)


def _form_types(query) -> set[str]:
    """The form types a listing asks for: HubSpot's default is HubSpot forms only; `all` is
    every type. Airbyte sends a Python list literal (`['hubspot', 'captured', 'flow']`):
    quotes and brackets around a name are dropped (*choice*, as for `associations=`)."""
    asked = {k.strip("[]'\" ") for k in multi(query, "formTypes")} - {""}
    unknown = asked - {*FORM_TYPES, "all"}
    if unknown:
        raise validation(f"formTypes: unknown form type(s) {sorted(unknown)}")
    if "all" in asked:
        return set(FORM_TYPES)
    return asked or {"hubspot"}


async def get_form(request: web.Request) -> web.Response:
    return json_response(_find(emulator(request), request.match_info["formId"]).json())


def v2_json(form: PortalForm, portal_id: int) -> dict:
    """The legacy forms v2 shape (docs/hubspot-api.md#lists-and-forms): epoch-ms times,
    `guid`, `formFieldGroups` of v2 fields."""
    groups = [{"fields": [{"name": name, "label": label, "type": "string",
                           "fieldType": "textarea" if kind == "multi_line_text" else "text",
                           "required": name == "email", "enabled": True, "hidden": False,
                           "groupName": "contactinformation", "displayOrder": k,
                           "selectedOptions": [], "options": [], "objectTypeId": "0-1"}],
               "default": True, "isSmartGroup": False}
              for k, (name, label, kind) in enumerate(form.fields)]
    return {"portalId": portal_id, "guid": form.form_id, "name": form.name, "action": "",
            "method": "POST", "cssClass": "hs-form", "redirect": "",
            "submitText": "Submit", "notifyRecipients": "", "formFieldGroups": groups,
            "createdAt": form.created_ms, "updatedAt": form.created_ms,
            "deletedAt": 0, "formType": "HUBSPOT", "captchaEnabled": False,
            "cloneable": True, "editable": True, "deletable": True, "metaData": [],
            "inlineMessage": "Thanks for submitting the form.", "ignoreCurrentValues": False}


async def list_forms_v2(request: web.Request) -> web.Response:
    """`GET /forms/v2/forms`: every live HubSpot-type form as a bare array, no paging
    (*choice*: the legacy reference documents no paging parameters; archived forms and other
    types are left out, as v3 leaves them out by default)."""
    emu = emulator(request)
    return json_response([v2_json(f, emu.portal_id) for f in forms_of(emu.store).forms.values()
                          if f.archived_ms is None and f.form_type == "hubspot"])


async def get_form_v2(request: web.Request) -> web.Response:
    emu = emulator(request)
    form = _find(emu, request.match_info["formId"])
    if form.archived_ms is not None:
        raise ApiError(404, f"Form {form.form_id} does not exist", "OBJECT_NOT_FOUND")
    return json_response(v2_json(form, emu.portal_id))


def _find(emu: Emulator, form_id: str) -> PortalForm:
    form = forms_of(emu.store).forms.get(form_id)
    if form is None:
        raise ApiError(404, f"Form {form_id} does not exist", "OBJECT_NOT_FOUND")
    return form


async def list_submissions(request: web.Request) -> web.Response:
    form = _find(emulator(request), request.match_info["formGuid"])
    if form.form_type in NO_SUBMISSIONS:  # HubSpot: 400 for a blog comment form
        raise validation(f"Form {form.form_id} is a {form.form_type} form: its submissions "
                         "are not available from this API")
    limit = int_param(request.query.get("limit"), "limit", SUBMISSIONS_DEFAULT)
    if not 1 <= limit <= SUBMISSIONS_MAX:
        raise validation(f"limit must be between 1 and {SUBMISSIONS_MAX}")
    newest_first = sorted(form.submissions, key=lambda s: (s.submitted_ms, s.seq), reverse=True)
    position = _position(request.query.get("after"))
    if position is not None:
        newest_first = [s for s in newest_first if (s.submitted_ms, s.seq) < position]
    page = newest_first[:limit]
    out: dict = {"results": [s.json() for s in page]}
    if len(newest_first) > limit:
        after = _encode(f"p:{page[-1].submitted_ms}:{page[-1].seq}")
        out["paging"] = {"next": {"after": after, "link": next_link(request, after)}}
    return json_response(out)


def _encode(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode(cursor: str, prefix: str) -> list[int]:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not text.startswith(prefix):
            raise ValueError(cursor)
        return [int(part) for part in text.removeprefix(prefix).split(":")]
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise validation(f"Invalid after cursor: {cursor}") from None


def _offset(cursor: str | None) -> int:
    return _decode(cursor, "o:")[0] if cursor else 0


def _position(cursor: str | None) -> tuple[int, int] | None:
    if not cursor:
        return None
    parts = _decode(cursor, "p:")
    if len(parts) != 2:
        raise validation(f"Invalid after cursor: {cursor}")
    return parts[0], parts[1]


# -- control operation (/_emulator/forms/…) ----------------------------------------------------

async def control_submit(emu: Emulator, request: web.Request) -> dict:
    """Add a submission: `{values: {name: value} | [{name, value}], pageUrl, submittedAt}`
    (submittedAt: epoch ms, default the emulated clock's now)."""
    form = forms_of(emu.store).forms.get(request.match_info["formId"])
    if form is None:
        raise ValueError(f"no form {request.match_info['formId']}")
    body = await json_body(request)
    values = body.get("values") or {}
    if isinstance(values, dict):
        values = [{"name": str(k), "value": str(v)} for k, v in values.items()]
    if not isinstance(values, list) or not all(isinstance(v, dict) for v in values):
        raise ValueError("values must be an object or a list of {name, value}")
    at = int(body.get("submittedAt") or emu.clock.now_ms())
    conversion = body.get("conversionId")  # any text a test plants; default a new GUID
    made = forms_of(emu.store).submit(form, at, values,
                                      str(body.get("pageUrl") or "https://www.example.com/"),
                                      None if conversion is None else str(conversion))
    return {"formId": form.form_id, **made.json()}


async def control_create(emu: Emulator, request: web.Request) -> dict:
    """Create a live form with no submissions: `{name, formId, formType}` (`formId`: plant
    that id, any text; default a new GUID; `formType` default `hubspot`)."""
    body = await json_body(request)
    kind = str(body.get("formType") or "hubspot")
    if kind not in FORM_TYPES:
        raise ValueError(f"formType must be one of {FORM_TYPES}")
    state = forms_of(emu.store)
    form_id = str(body.get("formId") or uuid.UUID(int=state.rng.getrandbits(128), version=4))
    if form_id in state.forms:
        raise ValueError(f"form {form_id} exists")
    now = emu.clock.now_ms()
    form = PortalForm(form_id, str(body.get("name") or "New form"), now, [_EMAIL],
                      form_type=kind)
    state.forms[form_id] = form
    return form.json()


def add_routes(app: web.Application) -> None:
    read = Access("forms")
    serve(app, "GET", FORMS, "", list_forms, read)
    serve(app, "GET", FORMS, "/", list_forms, read)  # the SDK's spelling
    serve(app, "GET", FORMS, "/{formId}", get_form, read)
    serve(app, "GET", FORM_SUBMISSIONS, "/{formGuid}", list_submissions, read)
    serve(app, "GET", FORMS_V2, "", list_forms_v2, read)
    serve(app, "GET", FORMS_V2, "/", list_forms_v2, read)
    serve(app, "GET", FORMS_V2, "/{formId}", get_form_v2, read)
    app.router.add_post("/_emulator/forms", control_handler(control_create))
    app.router.add_post("/_emulator/forms/{formId}/submissions", control_handler(control_submit))
