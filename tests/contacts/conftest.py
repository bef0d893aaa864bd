"""Contacts tests use the shared `hubspot` fixture (tests/conftest.py)."""
