"""One walk through the real UI in headless Chromium: sign in, upload, watch the job, read the transcript."""

import shutil
import socket
import threading
import time

import pytest
import uvicorn

from tests.factories import PASSWORD, make_study, make_user, wav_bytes

pytestmark = pytest.mark.browser

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def live_server(settings):
    from workbench.app import create_app

    queued = settings.model_copy(update={"queue_url": ""})  # on SQLite: a real in-process worker, as `perche serve`
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(queued, start_worker=True), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api")
    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    with playwright_api.sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield instance
        instance.close()


def test_sign_in_upload_and_read_the_transcript(live_server, browser, session, settings, tmp_path):
    make_user(session, "interviewer")
    study = make_study(session, name="Browser study")
    recording = tmp_path / "intervista cliente.wav"
    recording.write_bytes(wav_bytes(4.0))

    page = browser.new_page()
    messages = []
    page.on("console", lambda m: messages.append(m.text))
    page.on("response", lambda r: messages.append(f"{r.status} {r.url}"))
    page.goto(f"{live_server}/studies/{study.id}/upload")
    page.fill("input[name=email]", "interviewer@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"**/studies/{study.id}/upload")

    page.set_input_files("input[name=file]", str(recording))
    page.fill("input[name=account]", "Rossi Trasporti S.r.l.")
    page.select_option("select[name=journey_stage]", "delivery")
    page.click("#upload-form button[type=submit]")
    try:
        page.wait_for_selector(".uploaded", timeout=8000)
    except Exception as exc:  # any failure: keep a screenshot, report the page's messages
        page.screenshot(path=str(tmp_path / "upload_fail.png"))
        raise AssertionError("\n".join([*messages, f"screenshot: {tmp_path / 'upload_fail.png'}"])) from exc
    page.wait_for_selector(".uploaded [data-job-finished=done]", timeout=30000)

    page.click("text=Open the interview")
    page.wait_for_selector(".segment")
    assert "I would say an eight" in page.inner_text("#transcript")
    assert "Rossi Trasporti S.r.l." in page.inner_text("h1")

    # Clicking a line seeks the player there.
    page.click(".segment >> nth=2 >> .time")
    position = page.evaluate("document.getElementById('player').currentTime")
    assert position == pytest.approx(2.0, abs=0.1)
    page.close()


def test_manager_filters_the_report_and_follows_a_chart_to_its_quotes(live_server, browser, session, settings):
    """Interviews coded through the API's worker; the manager narrows the report and clicks a theme bar."""
    from sqlmodel import select
    from starlette.testclient import TestClient

    from tests.factories import bearer
    from workbench.app import create_app
    from workbench.models import Job, JobStatus

    admin = make_user(session, "admin")
    make_user(session, "manager")
    study = make_study(session, name="Report study")
    with TestClient(create_app(settings, start_worker=False)) as api:
        for seed, segment in enumerate(["SME", "Enterprise", "SME"]):
            response = api.post(f"/api/studies/{study.id}/interviews", headers=bearer(session, admin),
                                files={"file": (f"c{seed}.wav", wav_bytes(2.0, seed=seed), "audio/wav")},
                                data={"account": f"Cliente {seed}", "segment": segment})
            assert response.status_code == 202, response.text
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        session.expire_all()
        rows = session.exec(select(Job)).all()
        if len(rows) == 6 and all(j.status == JobStatus.done for j in rows):
            break
        time.sleep(0.5)
    else:
        raise AssertionError([(j.kind, j.status, j.error) for j in session.exec(select(Job))])

    page = browser.new_page()
    page.goto(f"{live_server}/studies/{study.id}/report")
    page.fill("input[name=email]", "manager@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"**/studies/{study.id}/report")
    assert "Cliente 1" in page.inner_text("#report")

    page.select_option("select[name=segment]", "SME")
    # expect polls from Playwright's own world: a predicate string would run through eval, which the CSP refuses
    from playwright.sync_api import expect

    expect(page.locator("#report")).not_to_contain_text("Cliente 1", timeout=15000)
    assert "segment=SME" in page.url  # the filtered view has its own address
    assert "segment=SME" in page.get_attribute("#pdf-link", "href")
    # the language switch keeps the filters; the chosen language is no filter to clear
    italian = page.get_attribute(".lang-switch a[hreflang=it]", "href")
    assert "segment=SME" in italian and "lang=it" in italian
    assert "Cliente 0" in page.inner_text("#report")

    bar = page.locator("#report svg a[href*='theme=']").first
    bar.click()
    page.wait_for_url("**/report/quotes?**")
    assert "Quotes behind theme" in page.inner_text("h1") and "segment SME" in page.inner_text("h1")
    quotes = page.inner_text("main")
    assert "“" in quotes and "Cliente 1" not in quotes
    page.close()
