"""Development tools run from a checkout, never part of the product's wheel: the demo
(`python3 dev.py demo`). Unlike `ingestion/`, they may use the emulator (hubspot_emulator)."""
