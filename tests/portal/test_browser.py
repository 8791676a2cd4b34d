"""Browser journey with Playwright and Debian's chromium, on both backends: a hub worker signs in,
opens the household list, records a contact outcome and exports; an administrator then finds each
step in the audit log. Screenshots go to ``tests/artifacts/``."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest
import uvicorn

from .conftest import PASSWORD
from .pg import free_port

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(portal):
    port = free_port()
    srv = uvicorn.Server(
        uvicorn.Config(portal.app, host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(200):
        if srv.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium not installed (apt install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/dashboard")


def test_hub_worker_journey_is_audited(portal, server, browser, artifacts_dir):
    tag = portal.backend
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, server, "hub")
    assert "hub worker" in page.text_content("main")
    page.click("nav >> text=Households")
    page.select_option("#agreement", portal.world.agreement)
    page.click("#open-list")
    rows = page.locator("#households tbody tr")
    assert rows.count() == 3 * len(portal.world.in_lsoas)
    page.screenshot(path=str(artifacts_dir / f"portal-households-{tag}.png"), full_page=True)

    first = rows.nth(0)
    reference = first.locator("td").nth(0).text_content().strip()
    first.locator("select[name=outcome]").select_option("contacted_support_arranged")
    first.locator("button[type=submit]").click()
    page.wait_for_url("**saved=*")
    assert page.text_content(f"#hh-{reference} .outcome").strip() == "contacted support arranged"
    page.screenshot(path=str(artifacts_dir / f"portal-outcome-{tag}.png"), full_page=True)

    with page.expect_download() as info:
        page.click("#export")
    exported = Path(info.value.path()).read_text("utf-8")
    assert exported.startswith("# RESTRICTED - EXP-") and reference in exported
    export_id = exported.split(" - ")[1]
    context.close()

    admin_context = browser.new_context(viewport={"width": 1280, "height": 900})
    admin = admin_context.new_page()
    sign_in(admin, server, "admin")
    admin.goto(f"{server}/admin/audit?q=hub")
    table = admin.text_content("#audit")
    for expected in (
        "auth.signed_in",
        "households.viewed",
        "households.outcome_recorded",
        "households.exported",
        reference,
        export_id,
    ):
        assert expected in table, expected
    assert "Chain verified" in admin.text_content("#chain-status")
    admin.screenshot(path=str(artifacts_dir / f"portal-audit-{tag}.png"), full_page=True)
    admin_context.close()


VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_new_pages_render_for_people(portal, server, browser, artifacts_dir, device):
    """The objection form (empty, with errors), the Users page, the password page and a district
    page, on a desktop and a phone; screenshots for a person to look at."""
    tag = f"{portal.backend}-{device}"
    context = browser.new_context(viewport=VIEWPORTS[device])
    page = context.new_page()
    page.goto(f"{server}/object")
    assert page.locator("label[for=nhs_number]").is_visible()
    page.screenshot(path=str(artifacts_dir / f"portal-object-{tag}.png"), full_page=True)
    page.fill("#nhs_number", "1234567890")
    page.fill("#date_of_birth", "2099-01-01")
    page.fill("#given_name", "Ann")
    page.click("button[type=submit]")
    summary = page.locator("#error-summary")
    assert summary.is_visible() and "not a valid NHS number" in summary.text_content()
    assert page.get_attribute("#nhs_number", "aria-invalid") == "true"
    page.screenshot(path=str(artifacts_dir / f"portal-object-errors-{tag}.png"), full_page=True)
    sign_in(page, server, "admin")
    page.goto(f"{server}/admin/users")
    assert page.locator("#users").is_visible()
    page.screenshot(path=str(artifacts_dir / f"portal-users-{tag}.png"), full_page=True)
    page.goto(f"{server}/account/password")
    page.screenshot(path=str(artifacts_dir / f"portal-password-{tag}.png"), full_page=True)
    page.goto(f"{server}/areas/{portal.world.district}")
    page.screenshot(path=str(artifacts_dir / f"portal-district-{tag}.png"), full_page=True)
    context.close()


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_aggregates_page_renders_and_downloads(portal, server, browser, artifacts_dir, device):
    """A district officer picks a table and a level, sees the protected table and downloads it."""
    tag = f"{portal.backend}-{device}"
    context = browser.new_context(viewport=VIEWPORTS[device], accept_downloads=True)
    page = context.new_page()
    sign_in(page, server, "officer")
    page.click("nav >> text=Aggregates")
    page.select_option("#table", "outcomes")
    page.select_option("#area_type", "ward")
    page.click("#aggregate-form button[type=submit]")
    page.wait_for_url("**table=outcomes*")
    table = page.locator("#aggregate")
    assert table.is_visible() and "counts 1..7 suppressed" in page.text_content("#policy")
    assert page.locator("#aggregate tbody tr").count() >= 10  # every ward of the district
    page.screenshot(path=str(artifacts_dir / f"portal-aggregates-{tag}.png"), full_page=True)
    with page.expect_download() as info:
        page.click("#download")
    text = Path(info.value.path()).read_text("utf-8")
    assert text.startswith("# Flagged households by latest contact outcome by ward")
    context.close()
