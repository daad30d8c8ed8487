"""The HTML report in a real headless Chromium (Debian chromium + chromium-driver).

Loaded offline from a file: the verdict, scorecard numbers and chart render,
a filter hides rows, markup taken from a target never runs. A screenshot is
saved as a test artefact (READINESS_ARTEFACTS, else the test's tmp dir).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_readiness.report import html
from tests.conftest import require_binary
from tests.reports.conftest import hostile_record

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import NoAlertPresentException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[object]:
    driver_path = require_binary("chromedriver")
    chromium = require_binary("chromium", "chromium-browser")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1280,2000", f"--user-data-dir={tmp_path / 'profile'}",
                 "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND"):
        options.add_argument(flag)  # the last two: nothing may be fetched from anywhere
    service = webdriver.ChromeService(executable_path=driver_path)
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def visible_outcomes(driver: object) -> list[str]:
    rows = driver.find_elements(By.CSS_SELECTOR, "tr.check")  # type: ignore[attr-defined]
    return [r.get_attribute("data-outcome") for r in rows if r.is_displayed()]


@pytest.mark.slow
def test_report_renders_filters_and_never_runs_target_markup(browser: object,
                                                            tmp_path: Path) -> None:
    record = hostile_record()
    page = tmp_path / "report.html"
    page.write_text(html.render(record), encoding="utf-8")
    driver = browser
    driver.get(page.as_uri())  # type: ignore[attr-defined]

    assert driver.find_element(By.ID, "verdict").text.startswith("NOT READY")
    assert driver.find_element(By.ID, "overall-score").text == f"{record.scorecard.overall:.1f}"
    scores = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#scorecard-table .cat-score")]
    assert scores == [f"{c.score:.1f}" for c in record.scorecard.categories if c.score is not None]
    bar = driver.find_element(By.CSS_SELECTOR, "rect.score-bar")
    assert bar.is_displayed() and float(bar.get_attribute("width")) > 0

    # Markup a target sent back is shown as text and never executes.
    assert "pwned" not in driver.title
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text  # noqa: B018
    assert driver.find_elements(By.TAG_NAME, "img") == []
    assert "<script>document.title='pwned-script'</script>" in driver.find_element(
        By.ID, "checks-table").get_attribute("textContent")

    assert sorted(visible_outcomes(driver)) == sorted(c.outcome for c in record.checks)
    Select(driver.find_element(By.ID, "filter-outcome")).select_by_value("fail")
    assert visible_outcomes(driver) == ["fail", "fail"]
    assert driver.find_element(By.ID, "shown-count").text == "2"
    Select(driver.find_element(By.ID, "filter-target")).select_by_value("api")
    assert visible_outcomes(driver) == ["fail"]
    Select(driver.find_element(By.ID, "filter-outcome")).select_by_value("")
    Select(driver.find_element(By.ID, "filter-target")).select_by_value("")
    Select(driver.find_element(By.ID, "filter-category")).select_by_value("operations")
    assert sorted(visible_outcomes(driver)) == ["skip", "waived"]

    shot = tmp_path / "report.png"
    assert driver.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    artefacts = os.environ.get("READINESS_ARTEFACTS")
    if artefacts:
        Path(artefacts).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(artefacts) / "html-report.png")
