"""Marketing forms: reading them and their submissions (fetch stage), and storing the
submissions (writer). Only immutable values (`Submissions`) pass between the two threads.

HubSpot quirks (docs/hubspot-api.md#lists-and-forms):
- `GET /marketing/v3/forms/` lists only HubSpot-type forms unless `formTypes` names others;
  `formTypes=all` lists every type (hubspot, captured, flow, blog_comment). With
  `archived=true` it lists only archived ones: both listings are read, each with every type.
- Submissions come from the v1 form-integrations API, newest first; `after` pages back in
  time, `limit` at most 50. `submittedAt` is epoch milliseconds (a number). That API serves
  hubspot, captured and flow forms; for a blog comment form HubSpot answers 400 (it keeps
  blog comments elsewhere), so those forms' submissions are not asked for (NO_SUBMISSIONS).
- A submission has no id. Its key here is a digest of (form id, submittedAt, the values as
  sent), so reading one again adds nothing (see HubSpotFormSubmission). Its answers are also
  stored one row per field (HubSpotFormSubmissionValue), in the same transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

import orjson
from django.utils import timezone

from ingestion.base.chunks import IDS_PER_STATEMENT, chunked
from ingestion.base.results import RecordFailure
from ingestion.base.writer import write_each_alone
from ingestion.models import HubSpotForm, HubSpotFormSubmission, HubSpotFormSubmissionValue

from .associations import FATAL
from .client import HubSpotClient
from .errors import HubSpotError, HubSpotLoopError
from .limits import FORMS_PAGE, SUBMISSIONS_PAGE_MAX
from .replies import REPAIRED
from .timeparse import parse_hubspot_datetime


@dataclass(frozen=True)
class Submissions:
    """What the fetch stage read of one form: submission rows (newest first) and the newest
    submission time the form has now had read (at least what was stored before)."""

    rows: tuple[dict, ...]
    newest: datetime | None
    repaired: tuple[str, ...] = ()  # text repaired in its submissions (replies.py): warnings


# Every form type (the listing's default is `hubspot` only): `all` rather than the four names,
# so a type HubSpot adds later is mirrored too.
ALL_FORM_TYPES = "all"
# Form types whose submissions the v1 API does not serve (HubSpot answers 400): a blog
# comment form's comments are not form submissions there. Not asked for, and not a failure.
NO_SUBMISSIONS = frozenset({"blog_comment"})


# -- the fetch stage ---------------------------------------------------------------------------

def form_pages(client: HubSpotClient, *, archived: bool = False) -> Iterator[list]:
    params: dict = {"limit": FORMS_PAGE, "archived": "true" if archived else "false",
                    "formTypes": ALL_FORM_TYPES}
    yield from filter(None, client.get_pages(client.paths.forms(), params))


def keeps_submissions(form: dict) -> bool:
    """Whether HubSpot serves this form's submissions (a form with no type: as a HubSpot
    form, the listing's default)."""
    return form.get("formType") not in NO_SUBMISSIONS


def read_submissions(client: HubSpotClient, form_id: str, cutoff: datetime | None,
                     stored: datetime | None) -> Submissions | str:
    """The form's submissions at or after `cutoff` (None: all), or (a failure for this form
    alone) why they could not be read."""
    rows: list[dict] = []
    try:
        for page in _submission_pages(client, form_id):
            rows.extend(row for row in page if cutoff is None or row["submitted_at"] >= cutoff)
            if cutoff is not None and page and page[-1]["submitted_at"] < cutoff:
                break  # newest first: everything further back is older still
    except HubSpotLoopError as error:  # this form's paging is broken: it fails alone
        return f"submissions could not be read: {error}"[:500]
    except FATAL:
        raise
    except HubSpotError as error:
        return f"submissions could not be read: {error}"[:500]
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        return f"unreadable submission: {type(error).__name__}: {error}"[:500]
    newest = max([r["submitted_at"] for r in rows] + ([stored] if stored else []), default=None)
    repaired = tuple(f"submission {r['submission_key'][:8]}: {note}"
                     for r in rows for note in r.pop("repaired"))
    return Submissions(tuple(rows), newest, repaired)


def _submission_pages(client: HubSpotClient, form_id: str) -> Iterator[list[dict]]:
    for results in client.get_pages(client.paths.form_submissions(form_id),
                                    {"limit": SUBMISSIONS_PAGE_MAX}):
        yield [submission_row(form_id, entry) for entry in results]


def submission_row(form_id: str, entry: dict) -> dict:
    """One submission as a row (ValueError/KeyError/TypeError if it is not one)."""
    submitted = parse_hubspot_datetime(entry["submittedAt"])
    if submitted is None:
        raise ValueError("a submission without submittedAt")
    values = entry.get("values") or []
    if not isinstance(values, list) or not all(
            isinstance(v, dict) and isinstance(v.get("name"), str) for v in values):
        raise ValueError("`values` is not a list of {name, value}")
    conversion = entry.get("conversionId")
    return {"submission_key": submission_key(form_id, entry["submittedAt"], values),
            "form_id": form_id, "submitted_at": submitted, "page_url": entry.get("pageUrl"),
            "values": values, "conversion_id": None if conversion is None else str(conversion),
            "repaired": list(entry.get(REPAIRED) or ())}


def submission_key(form_id: str, submitted_at: object, values: list[dict]) -> str:
    """sha1 of (form id, submittedAt as sent, the values as sent, in order)."""
    text = b"\x1f".join([form_id.encode(), str(submitted_at).encode(), orjson.dumps(values)])
    return hashlib.sha1(text).hexdigest()


# -- the writer --------------------------------------------------------------------------------

def store_submissions(rows: list[dict], related: Mapping[str, Submissions | str], *,
                      overwrite: bool) -> list[RecordFailure]:
    """Insert the submissions read with `rows` (those stored already are left alone, or with
    `overwrite` replaced) and move each form's `submissions_read_until`."""
    found, failures = {}, []
    for row in rows:
        read = related.get(row["id"])
        if isinstance(read, str):
            failures.append(RecordFailure(row["id"], read))
        elif read is not None:
            found[row["id"]] = read

    def store(forms: Mapping[str, Submissions]) -> None:
        _insert([r for read in forms.values() for r in read.rows], overwrite=overwrite)
        for form_id, read in forms.items():
            if read.newest is not None:
                HubSpotForm.objects.filter(pk=form_id).update(submissions_read_until=read.newest)

    # A form with a submission no column can hold fails alone (its watermark stays, so the
    # next run reads it again); the other forms' submissions are stored.
    return failures + write_each_alone(found, store, "submissions")


def _insert(rows: list[dict], *, overwrite: bool) -> None:
    """The submissions and their per-field rows (the caller's transaction holds both)."""
    unique = list({r["submission_key"]: r for r in rows}.values())
    if overwrite:  # the seed's delete-and-recreate, for submissions and their answers too
        keys = [r["submission_key"] for r in unique]
        for chunk in chunked(keys, IDS_PER_STATEMENT):
            HubSpotFormSubmissionValue.objects.filter(submission_key__in=chunk).delete()
            HubSpotFormSubmission.objects.filter(pk__in=chunk).delete()
    synced_at = timezone.now()
    HubSpotFormSubmission.objects.bulk_create(
        [HubSpotFormSubmission(**r, synced_at=synced_at) for r in unique], batch_size=1000,
        ignore_conflicts=True)
    # A stored submission's answers are stored already (same key, same values): the
    # conflicts on (submission_key, position) leave them as they are.
    HubSpotFormSubmissionValue.objects.bulk_create(
        [HubSpotFormSubmissionValue(**v) for r in unique for v in value_rows(r)],
        batch_size=1000, ignore_conflicts=True)


def value_rows(submission: dict) -> list[dict]:
    """One row per entry of the submission's `values`, in order, each answer as sent (text
    kept as it is; anything else, which HubSpot does not document, as its JSON text)."""
    return [{"submission_key": submission["submission_key"], "form_id": submission["form_id"],
             "name": entry["name"], "value": _text(entry.get("value")), "position": position,
             "submitted_at": submission["submitted_at"]}
            for position, entry in enumerate(submission["values"])]


def _text(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return orjson.dumps(value).decode()
