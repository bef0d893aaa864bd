"""Run bookkeeping: one SyncHistory row per run (and the watermark), SyncError per bad record."""

from django.db import models


class SyncHistory(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running"
        SUCCESS = "success"
        PARTIAL = "partial"  # finished, but some records failed (see SyncError)
        FAILED = "failed"  # stopped by a fatal error or a signal

    object_type = models.CharField(max_length=64, db_index=True)
    mode = models.CharField(max_length=16)  # incremental | full | since
    force_overwrite = models.BooleanField(default=False)
    flags = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True)
    fetched = models.IntegerField(default=0)
    created = models.IntegerField(default=0)
    updated = models.IntegerField(default=0)
    overwritten = models.IntegerField(default=0)
    skipped = models.IntegerField(default=0)
    archived = models.IntegerField(default=0)
    failed = models.IntegerField(default=0)
    # Set only by a complete, successful, non-dry run: the next incremental run starts here
    # (minus the lookback window). NULL means "this run does not move the watermark".
    watermark = models.DateTimeField(null=True)
    error_message = models.TextField(blank=True, default="")
    pid = models.IntegerField(null=True)
    hostname = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        db_table = "sync_history"
        indexes = [models.Index(fields=["object_type", "-started_at"])]

    def __str__(self) -> str:
        return f"{self.object_type} {self.mode} {self.status} @ {self.started_at:%Y-%m-%d %H:%M}"


class SyncError(models.Model):
    """A record that could not be saved: its HubSpot id and why (never the record itself)."""

    history = models.ForeignKey(SyncHistory, on_delete=models.CASCADE, related_name="errors")
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64, blank=True, default="")
    reason = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "sync_error"

    def __str__(self) -> str:
        return f"{self.object_type} {self.object_id}: {self.reason[:60]}"
