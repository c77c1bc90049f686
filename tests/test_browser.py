"""End to end in a real headless Chromium (Selenium): start `streamlit run app.py`, enter a
coder name, accept one suggestion, find it in the SQLite file under that name."""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from test_review import build_project

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1500,1100",
)

pytestmark = pytest.mark.skipif(
    not (CHROMIUM and DRIVER) and not os.environ.get("CI"),
    reason="Debian's chromium and chromium-driver are not installed (CI installs them)",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(cli, project_path, tmp_path):
    codebook = tmp_path / "codebook.yaml"
    build_project(cli, project_path, tmp_path / "src", codebook)
    port = free_port()
    log = (tmp_path / "streamlit.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "app.py"),
            "--server.headless",
            "true",
            "--server.address",
            "127.0.0.1",
            "--server.port",
            str(port),
            "--browser.gatherUsageStats",
            "false",
            "--",
            str(project_path),
            "--codebook",
            str(codebook),
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((tmp_path / "streamlit.log").read_text())
            time.sleep(0.5)
        yield url, project_path
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


@pytest.fixture
def browser(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    assert CHROMIUM and DRIVER, "CI is set: chromium and chromium-driver must be installed"
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    yield driver
    driver.quit()


def test_browser_accept_one_suggestion(server, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    url, project = server
    wait = WebDriverWait(browser, 60)
    browser.get(url)
    name = wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, "input[type='text']")))
    name.send_keys("Camille Testeuse")
    browser.find_element(By.XPATH, "//button[contains(., 'Commencer')]").click()

    accept = wait.until(ec.element_to_be_clickable((By.XPATH, "//button[contains(., 'Accepter')]")))
    segment = browser.find_element(By.CSS_SELECTOR, "[data-testid='review-segment']").text
    assert "ChatGPT" in segment  # the least certain suggestion comes first
    accept.click()

    deadline, rows = time.monotonic() + 30, []
    while not rows and time.monotonic() < deadline:
        time.sleep(0.5)
        with sqlite3.connect(project) as db:
            rows = db.execute(
                "SELECT code, status, origin FROM codings WHERE coder = 'Camille Testeuse'"
            ).fetchall()
    assert rows == [("data_security", "accepted", "auto")]

    # the next card is on screen; keep a picture of the Review page for the README
    wait.until(
        lambda d: (
            "ChatGPT" not in d.find_element(By.CSS_SELECTOR, "[data-testid='review-segment']").text
        )
    )
    time.sleep(1)
    shot = tmp_path / "review_page.png"
    browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000
    docs = ROOT / "docs"
    docs.mkdir(exist_ok=True)
    shutil.copy(shot, docs / "review_page.png")
