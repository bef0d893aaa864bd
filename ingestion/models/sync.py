"""Run bookkeeping: one SyncHistory row per run (and the watermark), SyncError per bad record."""

from django.db import models


class SyncHistory(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running"
        SUCCESS = "success"
        PARTIAL = "partial"  # finished, but some records failed (see SyncError)
        FAILED = "failed"  # stopped by a fatal error or a signal
        ABANDONED = "abandoned"  # its process ended without finishing it (killed, lost)
        SKIPPED = "skipped"  # not run: HubSpot answered 403 for the type (no access)

    object_type = models.CharField(max_length=64, db_index=True)
    # incremental | full | since | ids | links | deletions | verify (results.Mode)
    mode = models.CharField(max_length=16)
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
    quarantined = models.IntegerField(default=0)  # failures of quarantined records
    # Set only by a complete, successful, non-dry run: the next incremental run starts here
    # (minus the lookback window). NULL means "this run does not move the watermark".
    watermark = models.DateTimeField(null=True)
    # How far the records alone are fresh: also moved by a --skip-associations run, which
    # leaves links as they were and so must not move `watermark` (records and links).
    records_watermark = models.DateTimeField(null=True)
    # What a run of another kind measured: links (read, added, removed, unchanged, failed),
    # deletions (vanished, archived, restored), verify (hubspot, local, missing, extra, stale,
    # requests, exact), events (received, applied, deferred).
    details = models.JSONField(default=dict)
    error_message = models.TextField(blank=True, default="")
    # A run in progress as its batches commit (base/progress.py: records, expected, rate,
    # eta_seconds, at); NULL until its first batch. Apart from `details`, which the run
    # writes whole when it ends: progress never races what the run records there.
    progress = models.JSONField(null=True, blank=True)
    pid = models.IntegerField(null=True)
    hostname = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        db_table = "sync_history"
        indexes = [models.Index(fields=["object_type", "-started_at"])]
        constraints = [
            # The single-runner lock: a second `running` row for a type cannot be inserted,
            # whatever the timing and whichever machine tries (history.start_run).
            models.UniqueConstraint(fields=["object_type"], condition=models.Q(status="running"),
                                    name="one_running_sync_per_type"),
        ]

    def __str__(self) -> str:
        return f"{self.object_type} {self.mode} {self.status} @ {self.started_at:%Y-%m-%d %H:%M}"


class SyncError(models.Model):
    """A record that could not be saved (severity `error`), or was saved after a repair
    (`warning`: a NUL removed, a broken character replaced, an unreadable typed value left
    NULL): its HubSpot id and why, never the record itself."""

    class Severity(models.TextChoices):
        ERROR = "error"
        WARNING = "warning"
        QUARANTINED = "quarantined"  # failed alike in 3 runs in a row; see QuarantinedRecord

    history = models.ForeignKey(SyncHistory, on_delete=models.CASCADE, related_name="errors")
    object_type = models.CharField(max_length=64)
    object_id = models.TextField(blank=True, default="")
    reason = models.TextField()
    severity = models.CharField(max_length=16, choices=Severity.choices,
                                default=Severity.ERROR)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "sync_error"

    def __str__(self) -> str:
        return f"{self.object_type} {self.object_id}: {self.reason[:60]}"


class QuarantinedRecord(models.Model):
    """A record that keeps failing the same way. After QUARANTINE_AFTER runs in a row it is
    quarantined: its failures no longer make runs partial, hold back the watermark or stop
    the full-run sweep. It is retried whenever HubSpot changes it (an incremental run reads
    it again); the row goes away once it saves."""

    object_type = models.CharField(max_length=64)
    object_id = models.TextField()
    reason = models.TextField()
    streak = models.IntegerField(default=1)  # consecutive runs that failed with `reason`
    first_failed_at = models.DateTimeField()
    last_failed_at = models.DateTimeField()
    quarantined_at = models.DateTimeField(null=True)  # set when the streak reached the limit
    last_history = models.ForeignKey(SyncHistory, null=True, on_delete=models.SET_NULL,
                                     related_name="+")

    class Meta:
        db_table = "sync_quarantine"
        constraints = [models.UniqueConstraint(fields=["object_type", "object_id"],
                                               name="one_quarantine_row_per_record")]

    def __str__(self) -> str:
        state = "quarantined" if self.quarantined_at else f"failing x{self.streak}"
        return f"{self.object_type} {self.object_id}: {state}"


class OAuthGrant(models.Model):
    """The OAuth grant a portal's sync processes share (ingestion/base/grants.py): the
    current access token and the refresh token (HubSpot may rotate it), both encrypted with a
    key derived from the app's client secret, so the table alone gives nothing away."""

    client_id = models.CharField(max_length=128, primary_key=True)
    origin = models.CharField(max_length=64)  # hash of the configured refresh token
    refresh_token = models.TextField()  # encrypted
    access_token = models.TextField(blank=True, default="")  # encrypted
    expires_at = models.FloatField(default=0.0)  # epoch seconds
    lifetime = models.FloatField(default=1800.0)  # seconds the access token was issued for
    refreshed_at = models.DateTimeField(null=True)

    class Meta:
        db_table = "hubspot_oauth_grant"

    def __str__(self) -> str:
        return f"OAuth grant of app {self.client_id}"


class SyncCheckpoint(models.Model):
    """Where an unfinished full read of a type stopped (ingestion/base/resume.py): its
    position after the last committed batch, written in that batch's transaction, so the next
    run continues from there. Gone once the read completes."""

    object_type = models.CharField(max_length=64, unique=True)
    version = models.IntegerField()  # resume.CHECKPOINT_VERSION of the code that wrote it
    started_at = models.DateTimeField()  # the first attempt's start (watermark, sweep)
    updated_at = models.DateTimeField()  # the last batch committed
    force_overwrite = models.BooleanField(default=False)
    related = models.BooleanField(default=True)  # links read with the records
    position = models.JSONField(default=dict)  # the engine's (HubSpot: ids of both ends)
    batches = models.IntegerField(default=0)
    records = models.IntegerField(default=0)  # records of the batches committed so far
    history = models.ForeignKey(SyncHistory, null=True, on_delete=models.SET_NULL,
                                related_name="+")  # the attempt that began the read

    class Meta:
        db_table = "sync_checkpoint"

    def __str__(self) -> str:
        return f"{self.object_type} checkpoint @ {self.updated_at:%Y-%m-%d %H:%M}"


class SyncCheckpointIds(models.Model):
    """The ids one committed batch added to the read's seen ids (zlib of newline-joined ids):
    a resumed read sweeps only what neither attempt saw."""

    checkpoint = models.ForeignKey(SyncCheckpoint, on_delete=models.CASCADE,
                                   related_name="chunks")
    ids = models.BinaryField()

    class Meta:
        db_table = "sync_checkpoint_ids"
