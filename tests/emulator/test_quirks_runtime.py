"""Running the emulator: CLI subprocess, thread mode, determinism of generated data."""

from __future__ import annotations

import httpx

from hubspot_emulator.testing import spawn_emulator, start_emulator


def test_spawn_when_started_as_subprocess_then_serves_with_given_token_and_size():
    with spawn_emulator(token="pat-na1-cli", contacts=120, seed=3) as running:
        assert running.process is not None and running.url.startswith("http://127.0.0.1:")
        health = running.control.health()
        assert health["counts"]["contacts"] == 120 and health["seed"] == 3
        response = httpx.get(f"{running.url}/crm/v3/objects/contacts",
                             headers={"Authorization": "Bearer pat-na1-cli"})
        assert response.status_code == 200


def test_same_seed_when_two_emulators_then_identical_data_other_seed_differs():
    def first_page(seed: int) -> list:
        with start_emulator(token="t", contacts=50, seed=seed) as running:
            return httpx.get(f"{running.url}/crm/v3/objects/deals?properties=amount,dealname",
                             headers={"Authorization": "Bearer t"}).json()["results"]

    assert first_page(4) == first_page(4) != first_page(5)


def test_volumes_when_portal_of_n_contacts_then_other_types_scale(emulator):
    counts = emulator.control.reset(contacts=1000)["counts"]
    counts = {name: n for name, n in counts.items() if n}  # documented types seeded empty
    assert counts == {"contacts": 1000, "companies": 200, "deals": 250, "tickets": 100,
                      "products": 200, "line_items": 250, "calls": 500, "emails": 500,
                      "meetings": 500, "notes": 500, "tasks": 500, "pets": 100,
                      # the other standard objects (test_standard_objects.py: their shares)
                      "quotes": 50, "communications": 100, "feedback_submissions": 50,
                      "invoices": 50, "subscriptions": 25, "goal_targets": 50, "discounts": 40,
                      "fees": 40, "taxes": 40, "commerce_payments": 40, "users": 30,
                      "postal_mail": 25, "orders": 50, "leads": 100, "carts": 40,
                      "services": 20, "courses": 20, "listings": 20, "appointments": 50,
                      "projects": 20}
