"""The Django admin (/admin/): the runs, their errors and quarantine, and every mirrored table.

Everything here is read-only, for superusers too: mirrored rows are HubSpot's (an edit here
would be overwritten by the next sync, or worse, survive it as a silent difference), and the
run history is what the watermark and the lock are read from. OAuthGrant is left out on
purpose: it holds the (encrypted) tokens.
"""

from __future__ import annotations

import json

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode

from ingestion import models as m

ERROR_SHOWN = 80  # characters of an error message in a list


class ReadOnlyAdmin(admin.ModelAdmin):
    """View only: no add, change or delete for anyone, and no bulk actions."""

    actions = None
    list_per_page = 100
    show_full_result_count = False  # no second COUNT(*) over a million-row table

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


def _truncated(text: str) -> str:
    return text if len(text) <= ERROR_SHOWN else text[:ERROR_SHOWN - 1] + "…"


def _pretty_json(value) -> str:
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, sort_keys=True))


def _run_link(run) -> str:
    if run is None:
        return "—"
    url = reverse("admin:ingestion_synchistory_change", args=[run.pk])
    return format_html('<a href="{}">{}</a>', url, run.pk)


class RunFilter(admin.SimpleListFilter):
    """Errors or quarantine rows of one run: the newest runs that have any."""

    title = "run"
    parameter_name = "run"
    field = "history"

    def lookups(self, request, model_admin):
        ids = (model_admin.model.objects.exclude(**{f"{self.field}__isnull": True})
               .values_list(self.field, flat=True).order_by(f"-{self.field}").distinct()[:20])
        return [(str(pk), f"run {pk}") for pk in ids]

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(**{f"{self.field}_id": value}) if value else queryset


class LastRunFilter(RunFilter):
    field = "last_history"


@admin.register(m.SyncHistory)
class SyncHistoryAdmin(ReadOnlyAdmin):
    # The error beside the status, before the counts: in sight in a 1,280-pixel window.
    list_display = ("id", "object_type", "mode", "status", "short_error", "started_at",
                    "duration", "fetched", "created", "updated", "archived", "failed")
    list_filter = ("object_type", "status", "mode")
    date_hierarchy = "started_at"
    search_fields = ("=object_type",)
    ordering = ("-started_at",)
    fields = ("object_type", "mode", "status", "force_overwrite", "flags", "started_at",
              "finished_at", "duration", "fetched", "created", "updated", "overwritten",
              "skipped", "archived", "failed", "quarantined", "errors_link", "watermark",
              "records_watermark", "pretty_details", "error_message", "pid", "hostname")
    readonly_fields = ("duration", "errors_link", "pretty_details")

    @admin.display(description="duration")
    def duration(self, run: m.SyncHistory) -> str:
        if run.finished_at is None:
            return "running" if run.status == m.SyncHistory.Status.RUNNING else "—"
        return f"{(run.finished_at - run.started_at).total_seconds():.1f} s"

    @admin.display(description="error")
    def short_error(self, run: m.SyncHistory) -> str:
        return _truncated(run.error_message)

    @admin.display(description="details")
    def pretty_details(self, run: m.SyncHistory) -> str:
        return _pretty_json(run.details)

    @admin.display(description="record errors")
    def errors_link(self, run: m.SyncHistory) -> str:
        count = run.errors.count()
        url = reverse("admin:ingestion_syncerror_changelist") + "?" + urlencode({"run": run.pk})
        return format_html('<a href="{}">{} error(s) and warning(s)</a>', url, count)


@admin.register(m.SyncError)
class SyncErrorAdmin(ReadOnlyAdmin):
    list_display = ("id", "object_type", "object_id", "severity", "short_reason", "run",
                    "created_at")
    list_filter = ("object_type", "severity", RunFilter)
    search_fields = ("=object_id",)
    list_select_related = ("history",)

    @admin.display(description="reason")
    def short_reason(self, error: m.SyncError) -> str:
        return _truncated(error.reason)

    @admin.display(description="run")
    def run(self, error: m.SyncError) -> str:
        return _run_link(error.history)


@admin.register(m.QuarantinedRecord)
class QuarantinedRecordAdmin(ReadOnlyAdmin):
    list_display = ("object_type", "object_id", "streak", "quarantined_at", "last_failed_at",
                    "short_reason", "run")
    list_filter = ("object_type", LastRunFilter)
    search_fields = ("=object_id",)
    list_select_related = ("last_history",)

    @admin.display(description="reason")
    def short_reason(self, record: m.QuarantinedRecord) -> str:
        return _truncated(record.reason)

    @admin.display(description="last run")
    def run(self, record: m.QuarantinedRecord) -> str:
        return _run_link(record.last_history)


# Mirrored tables: searchable by id, and by these columns where the model has them.
SEARCHED = ("email", "name", "domain", "dealname", "subject", "label", "firstname", "lastname")
FORMATTED = ("properties", "raw")  # JSON columns shown indented on a record's page
SHOWN = (*SEARCHED, "object_type", "object_type_id", "pipeline", "dealstage")
MIRRORED = (
    *m.OBJECT_MODELS.values(), m.HubSpotCustomObject, m.HubSpotOwner,
    m.HubSpotPipeline, m.HubSpotPipelineStage, m.HubSpotProperty, m.HubSpotCustomObjectSchema,
    m.HubSpotList, m.HubSpotForm,
)


def mirrored_admin(model) -> type[ReadOnlyAdmin]:
    """A read-only admin for one mirrored table, its columns chosen from the model's fields;
    a record's `properties` (a definition's `raw`) shown as indented JSON, a key a line."""
    names = {f.name for f in model._meta.get_fields()}
    shown = [n for n in SHOWN if n in names][:4]
    filters = [n for n in ("archived", "deleted_kind", "object_type") if n in names]
    json_fields = [n for n in FORMATTED if n in names]
    formatted = {f"pretty_{n}": _pretty_field(n) for n in json_fields}
    formatted |= {"exclude": json_fields, "readonly_fields": list(formatted)}
    return type(f"{model.__name__}Admin", (ReadOnlyAdmin,), {
        "list_display": ("id", *shown, *filters[:2], "updated_at", "synced_at"),
        "list_filter": filters,
        "search_fields": ("=id", *(n for n in SEARCHED if n in names)),
        "ordering": ("-updated_at",),
        **formatted,
    })


def _pretty_field(name: str):
    @admin.display(description=name)
    def pretty(model_admin, record) -> str:
        return _pretty_json(getattr(record, name))
    return pretty


for _model in MIRRORED:
    admin.site.register(_model, mirrored_admin(_model))


def _label_tables() -> None:
    """Name each table in the admin by its SQL name (hubspot_contact, sync_history), as the
    people who query them know it, not Django's guess ("Hub spot propertys"). Set here, not
    in the models' Meta: a label then needs no migration."""
    for model in admin.site._registry:
        if model._meta.app_label == "ingestion":
            model._meta.verbose_name = model._meta.verbose_name_plural = model._meta.db_table



@admin.register(m.HubSpotAssociation)
class HubSpotAssociationAdmin(ReadOnlyAdmin):
    list_display = ("from_object_type", "from_id", "to_object_type", "to_id",
                    "association_type_id", "category", "label", "synced_at")
    list_filter = ("from_object_type", "to_object_type", "category")
    search_fields = ("=from_id", "=to_id")


@admin.register(m.HubSpotListMembership)
class HubSpotListMembershipAdmin(ReadOnlyAdmin):
    list_display = ("list_id", "record_id", "object_type_id", "added_at", "synced_at")
    list_filter = ("object_type_id",)
    search_fields = ("=list_id", "=record_id")


@admin.register(m.HubSpotFormSubmission)
class HubSpotFormSubmissionAdmin(ReadOnlyAdmin):
    list_display = ("submission_key", "form_id", "submitted_at", "page_url", "synced_at")
    search_fields = ("=form_id", "=submission_key")
    ordering = ("-submitted_at",)


@admin.register(m.HubSpotFormSubmissionValue)
class HubSpotFormSubmissionValueAdmin(ReadOnlyAdmin):
    list_display = ("submission_key", "form_id", "name", "value", "position", "submitted_at")
    search_fields = ("=form_id", "=submission_key", "=name")
    ordering = ("-submitted_at", "submission_key", "position")


@admin.register(m.WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ("event_id", "subscription_type", "object_type", "object_id", "occurred_at",
                    "received_at", "applied_at", "attempts", "short_error")
    list_filter = ("subscription_type", "object_type", ("applied_at", admin.EmptyFieldListFilter))
    search_fields = ("=object_id", "=event_id")
    ordering = ("-received_at",)

    @admin.display(description="error")
    def short_error(self, event: m.WebhookEvent) -> str:
        return _truncated(event.error)


_label_tables()  # after every register() above
# The header's "View site" opens the status page (the project has no other site).
admin.site.site_url = "/status/"
