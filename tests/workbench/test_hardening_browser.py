"""Every page under the Content-Security-Policy in headless Chromium: nothing refused, behaviour moved out of
the templates still working (confirmations, the sentiment bars)."""

import pytest

from tests.factories import PASSWORD, make_interview, make_study, make_user
from tests.workbench.test_browser import browser, live_server  # noqa: F401 - fixtures
from workbench import jobs

pytestmark = pytest.mark.browser


@pytest.fixture
def world(session, settings):
    """Made before the live server starts, while jobs still run inline: a coded interview."""
    make_user(session, "admin")
    study = make_study(session, name="CSP study")
    interview, job = make_interview(session, settings, study)
    jobs.enqueue(settings, [job.id])  # as an upload does; the test settings' queue runs it (and its coding) inline
    return {"study_id": study.id, "interview_id": interview.id}


def test_pages_run_under_the_policy_without_a_refusal(world, live_server, browser):  # noqa: F811 - fixtures
    study, interview = world["study_id"], world["interview_id"]
    page = browser.new_page()
    refused = []
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", "admin@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url("**/studies")
    for path in ("/studies", f"/studies/{study}", f"/studies/{study}/upload", f"/interviews/{interview}",
                 f"/studies/{study}/codebook", f"/studies/{study}/review", f"/studies/{study}/questions",
                 f"/studies/{study}/report", f"/studies/{study}/stories", f"/interviews/{interview}/story",
                 "/admin/users", "/admin/audit"):
        response = page.goto(live_server + path)
        assert response.status == 200, path
        page.wait_for_load_state("networkidle")
    assert refused == []

    # data-autosubmit: choosing a code in the review queue's filter reloads the queue with it
    page.goto(f"{live_server}/studies/{study}/review")
    choice = page.locator("select[data-autosubmit] option").nth(1).get_attribute("value")
    with page.expect_navigation():
        page.select_option("select[data-autosubmit]", choice)
    assert f"code={choice}" in page.url

    # data-flex: the sentiment bars of the coding summary get their widths from app.js
    page.goto(f"{live_server}/studies/{study}")
    bars = page.eval_on_selector_all("[data-flex]", "els => els.map(e => [e.dataset.flex, e.style.flexGrow])")
    assert bars and all(flex == grow for flex, grow in bars)

    # data-confirm: dismissing the question keeps the form from being sent
    page.goto(f"{live_server}/studies/{study}/codebook")
    asked = []
    page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    sent = page.evaluate("""() => {
        const form = document.querySelector("form[data-confirm]");
        return form.dispatchEvent(new Event("submit", {bubbles: true, cancelable: true}));
    }""")
    assert asked and asked[0].startswith("Delete ") and sent is False
    assert refused == []
