"""The operators' view in a real browser (headless Debian Chromium through Selenium): log in
through the admin's form, read the status page, open a run from it. Writes the screenshot
the README shows (docs/status-page.png)."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as seen
from selenium.webdriver.support.ui import WebDriverWait

from ingestion.models import SyncHistory
from web.browser_setup import (
    CHROMEDRIVER,
    CHROMIUM,
    ChromiumMissing,
    ensure_chromium,
    must_have_browser,
)
from web.runs import record_run

pytestmark = pytest.mark.django_db(transaction=True)

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "status-page.png"
PASSWORD = "browser-test-password"
WAIT = 15  # seconds an expected element may take to appear


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
                     "--disable-gpu", "--window-size=1800,1200", "--lang=en-US"):
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
    wait_for(driver, "#status-table")  # ... and back to the page asked for


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
    assert (cell["fresh"], cell["mode"], cell["verify"]) == ("fresh", "incremental", "exact")
    dots = contacts.find_elements(By.CSS_SELECTOR, "svg circle.run")
    assert len(dots) == 7 + 3  # the earlier runs, then this full, incremental and verify run
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
