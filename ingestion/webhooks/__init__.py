"""HubSpot's app webhooks, received: a signed POST is checked (signature.py), its events are
stored once each (ingestion/sync/hubspot/event_store.py) by the view (views.py, routed by
urls.py), and applied apart from the request by `ingestion.sync.hubspot.events` (the
`apply_hubspot_events` command or task).
"""
