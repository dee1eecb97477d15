"""The web pages in headless Chromium (Selenium + Debian's chromium-driver): sign-in with an API
account (first password change included), a dossier's path drawn by bpmn-js with its steps marked,
and the reports dashboard showing a known data set. Screenshots go to the test's temporary folder,
or to docs/img/ (shown in the README) with MOTCUA_SCREENSHOTS=1, so a test run leaves the work tree clean.

Skipped only when the machine lacks Chromium, its driver or the npm packages (`python3 dev.py setup`
installs those, .ci/run installs Chromium with apt-get)."""
from __future__ import annotations

import os
import shutil
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from api.ui import BPMN_JS
from tests.api.conftest import PASSWORD
from tests.support import report_data as data

ROOT = Path(__file__).resolve().parents[2]
IMG = ROOT / "docs" / "img"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
NEW_PASSWORD = "mật-khẩu-mới-đủ-dài-2"

pytestmark = pytest.mark.skipif(
    not (CHROMIUM and DRIVER and (BPMN_JS / "bpmn-viewer.production.min.js").exists()),
    reason="needs chromium, chromedriver and node_modules/bpmn-js (python3 dev.py setup)")


@pytest.fixture
def server(app):
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    thread.join(10)


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1500,950", "--lang=vi"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def wait(driver, script: str, timeout: float = 20):
    from selenium.webdriver.support.ui import WebDriverWait
    return WebDriverWait(driver, timeout).until(lambda d: d.execute_script(script))


def sign_in(driver, username: str, password: str, new_password: str | None = None) -> None:
    wait(driver, "return document.getElementById('login')")
    driver.find_element("name", "username").send_keys(username)
    driver.find_element("name", "password").send_keys(password)
    driver.find_element("css selector", "#login button").click()
    if new_password:  # the first login must change the password, on the page itself
        wait(driver, "return document.getElementById('change-password')")
        driver.find_element("name", "new_password").send_keys(new_password)
        driver.find_element("css selector", "#change-password button").click()


def screenshot(driver, tmp_path: Path, name: str) -> None:
    folder = IMG if os.environ.get("MOTCUA_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(exist_ok=True)
    assert driver.save_screenshot(str(folder / name))


def classes(driver, element_id: str) -> list[str]:
    return driver.execute_script(
        "const e = document.querySelector(`.djs-element[data-element-id='${arguments[0]}']`);"
        "return e ? Array.from(e.classList) : null;", element_id)


@pytest.fixture
def hkd(app, services, dirs):
    """The sample procedure processes/HKD-01 (drawn with a modeler: its diagram has a layout)."""
    processes, forms = dirs
    shutil.copytree(ROOT / "processes" / "HKD-01", processes / "HKD-01")
    for form in (ROOT / "forms").glob("*.json"):
        shutil.copy(form, forms / form.name)
    services.procedures.sync()
    services.procedures.publish("HKD-01")


def test_dossier_path_page_marks_done_current_and_late(hkd, server, browser, services, clock, tmp_path):
    d = services.dossiers.start("HKD-01", applicant={"name": "Nguyễn Văn An"}, actor="desk")
    [receive] = d.current_tasks
    clock.advance(timedelta(days=3))  # the 4 working hours of reception are long past: done late
    services.dossiers.complete_task(receive.task_id, {"outcome": "receive"}, "desk")  # received
    services.accounts.add("xem", "000.00.12.H15", ["official"], password=PASSWORD)

    browser.get(f"{server}/ui/dossiers/{d.id}")
    sign_in(browser, "xem", PASSWORD, NEW_PASSWORD)
    wait(browser, "return document.body.dataset.ready === 'true'")
    assert {"motcua-done", "motcua-late"} <= set(classes(browser, "receive"))
    assert "motcua-current" in classes(browser, "forward")  # the desk forwards it next
    assert not {"motcua-done", "motcua-current", "motcua-late"} & set(classes(browser, "approve"))
    sheet = browser.find_elements("css selector", "#control-sheet tbody tr")
    assert [r.get_attribute("data-element-id") for r in sheet] == ["receive", "forward"]
    assert "Quá hạn" in sheet[0].text
    screenshot(browser, tmp_path, "dossier-path.png")


def test_dossier_page_shows_nothing_to_another_agency(api, server, browser, services):
    d = api.register()
    services.accounts.add("ngoai", "000.00.99.H15", ["official"], password=PASSWORD)
    browser.get(f"{server}/ui/dossiers/{d['id']}")
    sign_in(browser, "ngoai", PASSWORD, NEW_PASSWORD)
    wait(browser, "return document.querySelector('#root .error')")
    assert d["code"] not in browser.page_source and not browser.find_elements("css selector", ".djs-element")


def test_reports_dashboard_shows_the_known_counts(app, api, server, browser, services, clock, tmp_path):
    data.load(services.ctx.uow)
    clock.set(data.NOW)
    services.accounts.add("kiemsoat", "000.00.00.H00", ["control_office"], password=PASSWORD)
    browser.get(f"{server}/ui/reports?period=2026-11")
    sign_in(browser, "kiemsoat", PASSWORD, NEW_PASSWORD)
    wait(browser, "return document.body.dataset.ready === 'true'")
    total = {c.get_attribute("data-key"): c.text
             for c in browser.find_elements("css selector", "#ontime-table tr.total td[data-key]")}
    # tests/support/report_data.py: November, A + B
    assert {k: total[k] for k in ("received", "finished", "early", "on_time", "late", "open", "open_late")} == {
        "received": "13", "finished": "10", "early": "3", "on_time": "2", "late": "3", "open": "5", "open_late": "2"}
    bars = browser.execute_script(
        "return Array.from(document.querySelectorAll('#chart-agencies rect[data-key]'))"
        ".map(r => [r.dataset.row, r.dataset.key, Number(r.dataset.value)]);")
    assert ["Phòng Kinh tế", "early", 2] in bars and ["Phòng Tài nguyên và Môi trường", "late", 1] in bars
    trend = browser.execute_script(
        "return Array.from(document.querySelectorAll('#chart-trend rect[data-period=\"2026-11\"]'))"
        ".map(r => [r.dataset.key, Number(r.dataset.value)]);")
    assert sorted(trend) == [["early", 3], ["late", 3], ["on_time", 2]]
    notes = [c.text for c in browser.find_elements("css selector", "#indicators-table td[data-code='satisfaction']")]
    assert notes and all(n == "chưa tính được" for n in notes)  # cannot be computed yet: says so
    assert browser.find_elements("css selector", "#ranking-table tbody tr")
    screenshot(browser, tmp_path, "reports.png")
