"""Teams, roles and users (HubSpot's settings users API), and who belongs to which team:
`hubspot_team_member` (users, as the teams API lists them) and `hubspot_owner_team` (owners, as
the owners API lists them). HubSpot ids only, no foreign keys, so a force overwrite of one table
never touches another (docs/hubspot-api.md#teams-and-roles).

The CRM's `hubspot_user` (object type 0-115, `sync_hubspot_users`) is another view of the same
people: these are the account's users as the settings API provisions them (`settings_users`).
"""

from django.db import models

from .metadata import HubSpotDefinition


class HubSpotTeam(HubSpotDefinition):
    """A team; its members are rows of `hubspot_team_member`, as HubSpot lists them here."""

    name = models.TextField(null=True)
    user_ids = models.JSONField(default=list, help_text="userIds: those whose primary team it is")
    secondary_user_ids = models.JSONField(default=list, help_text="secondaryUserIds")

    class Meta:
        db_table = "hubspot_team"


class HubSpotRole(HubSpotDefinition):
    """A role (permission set) users are given."""

    name = models.TextField(null=True)
    requires_billing_write = models.BooleanField(null=True)

    class Meta:
        db_table = "hubspot_role"


class HubSpotSettingsUser(HubSpotDefinition):
    """A user of the account as the settings users API lists it (key: the user id, which
    owners name as `hubspot_owner.user_id`)."""

    email = models.TextField(null=True, db_index=True)
    first_name = models.TextField(null=True)
    last_name = models.TextField(null=True)
    role_id = models.TextField(null=True, help_text="hubspot_role.id")
    role_ids = models.JSONField(default=list)
    primary_team_id = models.TextField(null=True, help_text="hubspot_team.id")
    secondary_team_ids = models.JSONField(default=list)
    super_admin = models.BooleanField(null=True)

    class Meta:
        db_table = "hubspot_settings_user"


class HubSpotTeamMember(models.Model):
    """A user in a team (primary or secondary), as the team's last read listed it."""

    team_id = models.TextField()
    user_id = models.TextField(db_index=True)
    is_primary = models.BooleanField(help_text="userIds (primary) or secondaryUserIds")
    synced_at = models.DateTimeField()

    class Meta:
        db_table = "hubspot_team_member"
        constraints = [models.UniqueConstraint(fields=["team_id", "user_id"],
                                               name="hubspot_team_member_unique")]

    def __str__(self) -> str:
        return f"team {self.team_id} ∋ user {self.user_id}"


class HubSpotOwnerTeam(models.Model):
    """An owner in a team, as the owner's last read listed it (its `teams`)."""

    owner_id = models.TextField()
    team_id = models.TextField(db_index=True)
    is_primary = models.BooleanField(help_text="the team's `primary` flag")
    synced_at = models.DateTimeField()

    class Meta:
        db_table = "hubspot_owner_team"
        constraints = [models.UniqueConstraint(fields=["owner_id", "team_id"],
                                               name="hubspot_owner_team_unique")]

    def __str__(self) -> str:
        return f"owner {self.owner_id} in team {self.team_id}"
