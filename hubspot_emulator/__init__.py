"""A local, faithful emulation of HubSpot's CRM REST API (see BEHAVIOR.md).

Start one in-process with `hubspot_emulator.testing.start_emulator()`, from the command line
with `python -m hubspot_emulator --token T`, or in pytest with the `emulator` fixture.
"""

PORTAL_ID = 24_681_357
