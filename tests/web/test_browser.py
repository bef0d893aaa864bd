"""The operators' view in a real browser (headless Debian Chromium through Selenium) in a
1,280-pixel window: log in through the admin's form, read the status page, open a run from
it; nothing wider than the window, errors in sight, the admin's dark theme followed.
With UPDATE_SCREENSHOT=1, writes the screenshot docs/operations.md shows (docs/status-page.png);
otherwise the tree is left as it was."""

from __future__ import annotations

import base64
import io
import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone
from journal_ops import (  # noqa: F401 (fixtures)
    NOW,
    frozen_now,
    journal_command,
    journal_run,
    set_up_journal,
)
from portals.conftest import scopes_dropped, second, second_server, two_portals  # noqa: F401
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as seen
from selenium.webdriver.support.ui import WebDriverWait

from ingestion.models import HubSpotCustomObjectSchema, SyncHistory
from ingestion.sync.hubspot.accounts import in_portal
from web.browser_setup import (
    CHROMEDRIVER,
    CHROMIUM,
    ChromiumMissing,
    ensure_chromium,
    must_have_browser,
)
from web.runs import record_run

# What a browser draws and does, not what the database holds (tests/web/test_status.py reads
# the same pages on both databases): on the first database of the suite only.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.once]

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "status-page.png"
PASSWORD = "browser-test-password"
WAIT = 15  # seconds an expected element may take to appear
WINDOW_WIDTH = 1280  # the narrowest window the pages must fit (issue 22)


@pytest.fixture(scope="session")
def chromium() -> None:
    try:
        ensure_chromium()
    except ChromiumMissing as error:
        if must_have_browser():
            pytest.fail(str(error))  # CI, or a Debian machine: the install must work
        pytest.skip(str(error))  # a developer's machine without Debian's packages


@pytest.fixture
def browser(chromium):
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--disable-gpu", f"--window-size={WINDOW_WIDTH},1000", "--lang=en-US"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)),
                              options=options)
    yield driver
    driver.quit()


def wait_for(driver, css: str):
    return WebDriverWait(driver, WAIT).until(seen.presence_of_element_located(
        (By.CSS_SELECTOR, css)))


def log_in(driver, live_server, django_user_model) -> None:
    django_user_model.objects.create_superuser("operator", "ops@example.com", PASSWORD)
    driver.get(f"{live_server.url}/status/")
    wait_for(driver, "#login-form")  # sent to the admin's login form first
    driver.find_element(By.NAME, "username").send_keys("operator")
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "#login-form [type=submit]").click()
    wait_for(driver, "table.status")  # ... and back to the page asked for


def save_full_page(driver, path: Path) -> None:
    """The whole page, beyond the window (Chromium's own full-page capture, through CDP)."""
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True, "clip": clip})
    # Written aside, then renamed: the SQLite and PostgreSQL suites may run side by side.
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    partial.write_bytes(base64.b64decode(shot["data"]))
    partial.replace(path)


def test_operator_when_logged_in_then_status_rows_shown_and_a_run_opens_in_admin(
        synced, live_server, browser, django_user_model):
    for day in range(1, 8):  # earlier runs, for the charts
        record_run("contacts", mode="incremental", minutes_ago=day * 6 * 60, seconds=day / 2,
                   fetched=day * 3, created=day, updated=day * 2)
    log_in(browser, live_server, django_user_model)

    rows = {row.get_attribute("data-type"): row
            for row in browser.find_elements(By.CSS_SELECTOR, "#status-table tbody tr")}
    assert {"properties", "owners", "contacts", "deals", "line_items", "tasks"} <= set(rows)
    contacts = rows["contacts"]
    assert contacts.get_attribute("class") == "green"
    cell = {c.get_attribute("data-column"): c.text
            for c in contacts.find_elements(By.CSS_SELECTOR, "td[data-column]")}
    assert (cell["last run"], cell["state"], cell["mode"], cell["verify"]) == (
        "success (verify)", "fresh", "incremental", "exact")
    dots = contacts.find_elements(By.CSS_SELECTOR, "svg circle.run")
    assert len(dots) == 7 + 2  # the earlier runs, this full and incremental run (not verify)
    assert overflow(browser) == 0  # every type synced: still within 1,280 pixels
    if os.environ.get("UPDATE_SCREENSHOT"):
        save_full_page(browser, SCREENSHOT)

    run = SyncHistory.objects.filter(object_type="contacts", mode="incremental").latest(
        "finished_at")
    contacts.find_element(By.CSS_SELECTOR, "td[data-column='last success'] a").click()
    wait_for(browser, "#synchistory_form, #content-main .field-object_type")
    assert browser.current_url.endswith(f"/admin/ingestion/synchistory/{run.pk}/change/")
    field = {name: browser.find_element(By.CSS_SELECTOR, f".field-{name} .readonly").text
             for name in ("object_type", "mode", "status", "fetched", "created")}
    assert field == {"object_type": "contacts", "mode": "incremental", "status": "Success",
                     "fetched": str(run.fetched), "created": str(run.created)}


def overflow(driver) -> int:
    """How many CSS pixels the page is wider than the window (0: no horizontal scrolling)."""
    return driver.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth")


def within_window(driver, element) -> bool:
    right = driver.execute_script("return arguments[0].getBoundingClientRect().right", element)
    return 0 < right <= driver.execute_script("return document.documentElement.clientWidth")


def colour(driver, css: str, prop: str) -> str:
    element = driver.find_element(By.CSS_SELECTOR, css)
    return driver.execute_script("return getComputedStyle(arguments[0])[arguments[1]]",
                                 element, prop)


def test_failed_runs_when_status_and_run_history_opened_at_1280_px_then_errors_in_sight(
        live_server, browser, django_user_model):
    HubSpotCustomObjectSchema.objects.create(id="2-3508482", name="pets",
                                             synced_at=timezone.now())
    for object_type in ("contacts", "companies", "deals", "2-3508482"):
        record_run(object_type, minutes_ago=20, fetched=123456, created=120000, updated=3456,
                   archived=4, details={"requests": 1234, "rate_limited": 5})
        record_run(object_type, status=SyncHistory.Status.FAILED, minutes_ago=1,
                   error="HubSpot read timeout after 30.0 s on GET /crm/objects/2026-09/"
                         f"{object_type}/search (attempt 8 of 8)")
    log_in(browser, live_server, django_user_model)
    assert overflow(browser) == 0
    row = browser.find_element(By.CSS_SELECTOR, "#status-table tr[data-type='contacts']")
    assert row.get_attribute("class") == "red"
    error = row.find_element(By.CSS_SELECTOR, "td[data-column='error']")
    assert error.text.startswith("HubSpot read timeout") and within_window(browser, error)
    assert within_window(browser, row.find_element(By.CSS_SELECTOR, "td.chart"))
    pets = browser.find_element(By.CSS_SELECTOR, "#status-table tr[data-type='2-3508482']")
    assert pets.find_element(By.CSS_SELECTOR, "td[data-column='type']").text == (
        "pets (2-3508482)")

    row.find_element(By.CSS_SELECTOR, "td[data-column='type'] a").click()  # the type's runs
    wait_for(browser, "#result_list")
    assert overflow(browser) == 0
    first_error = browser.find_element(By.CSS_SELECTOR, "#result_list tbody td.field-short_error")
    assert first_error.text.startswith("HubSpot read timeout")
    assert within_window(browser, first_error)


def test_dark_theme_when_status_opened_then_page_and_charts_dark(
        live_server, browser, django_user_model):
    record_run("contacts", minutes_ago=40, created=5)
    record_run("contacts", minutes_ago=2, created=7)
    log_in(browser, live_server, django_user_model)
    light = (colour(browser, "svg.run-chart rect.frame", "fill"),
             colour(browser, "body", "backgroundColor"))
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {
        "features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    browser.refresh()
    wait_for(browser, "#status-table")
    dark = (colour(browser, "svg.run-chart rect.frame", "fill"),
            colour(browser, "body", "backgroundColor"))
    assert dark != light
    assert all(luminance(after) < 0.3 < luminance(before)
               for after, before in zip(dark, light, strict=True)), (light, dark)


@pytest.mark.usefixtures("two_portals")
def test_two_portals_when_status_opened_then_a_section_each_within_the_window(
        live_server, browser, django_user_model):
    with in_portal("a"):
        record_run("contacts", minutes_ago=1, created=40)
    with in_portal("b"):
        record_run("contacts", status=SyncHistory.Status.FAILED, minutes_ago=2,
                   error="HubSpot said no to b")
    log_in(browser, live_server, django_user_model)
    titles = [title.text for title in browser.find_elements(By.CSS_SELECTOR, "h2.portal-title")]
    assert [title.split(" (")[0] for title in titles] == [
        "Portal default", "Portal a", "Portal b"]  # the implicit portal has a token here
    assert titles[2] == "Portal b (Hub ID 2002)"
    state = "tr[data-type='contacts'] td[data-column='state']"
    assert browser.find_element(By.CSS_SELECTOR, f"#status-table-a {state}").text == "fresh"
    failed = browser.find_element(By.CSS_SELECTOR, f"#status-table-b {state}")
    assert failed.text == "failed" and within_window(browser, failed)
    assert browser.find_element(
        By.CSS_SELECTOR, "#status-table-b tr[data-type='contacts'] td[data-column='error']"
    ).text == "HubSpot said no to b"


def luminance(css_colour: str) -> float:
    """0 (black) .. 1 (white), from `rgb(r, g, b)`."""
    red, green, blue = (int(part) for part in css_colour[css_colour.index("(") + 1:
                                                           css_colour.index(")")].split(",")[:3])
    return (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255


def test_admin_when_view_site_clicked_then_status_page_and_back_home(
        live_server, browser, django_user_model):
    log_in(browser, live_server, django_user_model)
    browser.get(f"{live_server.url}/admin/")
    wait_for(browser, "#user-tools")
    browser.find_element(By.LINK_TEXT, "VIEW SITE").click()
    wait_for(browser, "#status-table")
    assert browser.current_url == f"{live_server.url}/status/"
    browser.find_element(By.CSS_SELECTOR, ".breadcrumbs a").click()
    wait_for(browser, "#content-main .app-ingestion, #content-main")
    assert browser.current_url == f"{live_server.url}/admin/"


@pytest.mark.usefixtures("journal_command", "frozen_now")
def test_journal_set_up_when_status_opened_at_1280_px_then_its_panel_and_row_in_sight(
        live_server, browser, django_user_model):
    set_up_journal(offset="550e8400-e29b-41d4-a716-446655440000",
                   newest_change_at=NOW - timedelta(seconds=42.5),
                   read_at=NOW - timedelta(seconds=4))
    call_command("setup_hubspot_schedule", stdout=io.StringIO())  # the journal every minute
    journal_run(seconds_ago=70)
    newest = journal_run(seconds_ago=4)
    log_in(browser, live_server, django_user_model)
    assert overflow(browser) == 0
    panel = browser.find_element(By.CSS_SELECTOR, "#journal-status")
    fields = {cell.get_attribute("data-field"): cell
              for cell in panel.find_elements(By.CSS_SELECTOR, "td[data-field]")}
    assert fields["lag"].text == "42.5 s"
    assert fields["offset"].text == "550e8400-e29b-41d4-a716-446655440000"
    assert all(within_window(browser, cell) for cell in fields.values())
    row = browser.find_element(By.CSS_SELECTOR, "#status-table tr[data-type='journal']")
    assert row.get_attribute("class") == "green"  # read 4 s ago, scheduled every minute

    fields["newest run"].find_element(By.TAG_NAME, "a").click()  # the run in the admin
    wait_for(browser, "#synchistory_form, #content-main .field-object_type")
    assert browser.current_url.endswith(f"/admin/ingestion/synchistory/{newest.pk}/change/")
