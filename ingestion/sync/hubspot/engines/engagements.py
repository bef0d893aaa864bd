"""What the engagement engines (calls, emails, meetings, notes, tasks) share.

Their links to CRM records are read from the engagement's side only: each call/email/…
sync replaces that engagement's associations with these types.
"""

ENGAGEMENT_ASSOCIATIONS = ("contacts", "companies", "deals", "tickets")
