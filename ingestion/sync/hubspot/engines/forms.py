"""Marketing forms of every type (live and archived) and their submissions, each stored whole
and as one row per field answer (hubspot_form_submission_value).

Every run lists all forms. Submissions are read per form, newest first, down to the form's
stored watermark (`submissions_read_until`, the newest submission stored) minus the lookback
(HUBSPOT_INCREMENTAL_LOOKBACK_SECONDS: a submission HubSpot records late is still read);
`--since DATE` reads down to DATE; a full run (the first one too) or a force overwrite reads
them all. Re-read submissions have the same key, so nothing is stored twice.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import datetime
from itertools import chain
from types import MappingProxyType

from django.db.models import Count

from ingestion.base.results import Mode, Page, RecordFailure
from ingestion.models import HubSpotForm, HubSpotFormSubmission, HubSpotFormSubmissionValue

from .. import forms
from ..limits import SUBMISSIONS_PAGE_MAX
from .marketing import RESUME_POSITION, HubSpotMarketingSyncEngine


class HubSpotFormSyncEngine(HubSpotMarketingSyncEngine):
    object_type = "forms"
    model = HubSpotForm

    def probe(self) -> None:
        self.client.request("GET", self.client.paths.forms(), params={"limit": 1})

    def stored(self):
        return dict(HubSpotForm.objects.values_list("pk", "submissions_read_until"))

    def written_tables(self, *, during: bool = False) -> list[str]:
        return [*super().written_tables(during=during), HubSpotFormSubmission._meta.db_table,
                HubSpotFormSubmissionValue._meta.db_table]

    def fetch(self, mode: Mode, since: datetime | None) -> Iterator[Page]:
        for page in chain(forms.form_pages(self.client),
                          forms.form_pages(self.client, archived=True)):
            # A page per form: each form's batch commits (and moves the checkpoint) as soon
            # as its submissions are read, not once a whole listing page's are.
            for form in page:
                related = self._submissions([form], mode, since) if self.reads_related() else {}
                yield Page((form,), MappingProxyType(related), RESUME_POSITION)

    def _submissions(self, page: list, mode: Mode, since: datetime | None) -> dict:
        """By form id: its submissions from the cutoff on, or why they could not be read
        (entries that are not forms are left to the transform to report; forms of a type
        HubSpot keeps no submissions for are not asked: they have none to store)."""
        found = {}
        for form in page:
            if isinstance(form, dict) and form.get("id") and forms.keeps_submissions(form):
                form_id = str(form["id"])
                found[form_id] = forms.read_submissions(
                    self.client, form_id, self._cutoff(form_id, mode, since),
                    self.snapshot.get(form_id))
        return found

    # -- what a run will cost (`--plan`, plan.py `plan_with_related`) --------------------------

    def plan_reads(self, mode: Mode, since: datetime | None, counts) -> tuple[int, int]:
        """(the forms the run reads, the requests it makes for them beyond the listings,
        which are asked here as the run asks them: they say which forms keep submissions).
        A form read down to a cutoff (incremental, or committed by a stopped attempt) costs
        a page of 50; one read whole its stored submissions' pages, or, none stored (a first
        run), its share of HubSpot's contact count: HubSpot counts no submissions, and a
        submission makes or updates a contact (rough: see docs/operations.md)."""
        listed = [form for page in chain(forms.form_pages(self.client),
                                         forms.form_pages(self.client, archived=True))
                  for form in page if isinstance(form, dict) and form.get("id")]
        keeping = [str(f["id"]) for f in listed if forms.keeps_submissions(f)]
        if not self.reads_related() or not keeping:
            return len(listed), 0
        stored = dict(HubSpotFormSubmission.objects.filter(form_id__in=keeping).values(
            "form_id").annotate(n=Count("pk")).values_list("form_id", "n"))
        share = None
        requests = 0
        for form_id in keeping:
            if self._cutoff(form_id, mode, since) is not None:
                requests += 1
                continue
            if form_id not in stored and share is None:
                share = counts.live("contacts") // len(keeping)
            submissions = stored.get(form_id, share or 0)
            requests += max(1, math.ceil(submissions / SUBMISSIONS_PAGE_MAX))
        return len(listed), requests

    def _cutoff(self, form_id: str, mode: Mode, since: datetime | None) -> datetime | None:
        """The oldest submission time to read (None: all of them). A form an earlier attempt
        of a resumed read committed is read down to its stored watermark, as by an
        incremental run (a submission made between the attempts is still read)."""
        if self.reads_everything(mode) and not self.committed_before(form_id):
            return None
        if mode is Mode.SINCE:
            return since
        stored = self.snapshot.get(form_id)
        return None if stored is None else stored - self.options.lookback

    def row(self, form: dict) -> tuple[dict, dict]:
        form_id = str(form["id"])
        return form, {"id": form_id, "name": form.get("name"), "form_type": form.get("formType"),
                      "fields": form.get("fieldGroups") or [],
                      # Kept as stored: the writer moves it once the submissions are stored.
                      "submissions_read_until": self.snapshot.get(form_id)}

    def after_batch(self, rows: list[dict], related) -> list[RecordFailure]:
        self.record_repairs(related)
        return forms.store_submissions(rows, related, overwrite=self.options.force_overwrite)
