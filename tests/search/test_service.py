"""The HTTP service as a real uvicorn process on 127.0.0.1, called with a real HTTP client, and its page in headless
Chromium: the same hits as the Python API, 500 requests from 16 threads, every bad request a 4xx with JSON."""
import os
import shutil
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from conftest import FLORES, read_lines

from ems_mine import Index


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("svc")
    (d / "en.txt").write_text("\n".join(read_lines(FLORES / "eng_Latn.dev")) + "\n", encoding="utf-8")
    Index.build(d / "en.txt", "en", d / "index")
    return d / "index"


@pytest.fixture(scope="module")
def server(index_dir):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "ems_mine.cli", "serve", str(index_dir), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
        if proc.poll() is not None:
            raise RuntimeError(proc.stdout.read())
    yield url
    proc.terminate()
    proc.wait(timeout=30)


def test_health_info_and_same_hits_as_python(server, index_dir):
    assert httpx.get(f"{server}/health").json() == {"status": "ok", "count": 997}
    info = httpx.get(f"{server}/info").json()
    assert info["count"] == 997 and info["languages"] == ["eng"] and "deu" in info["query_languages"]
    de = read_lines(FLORES / "deu_Latn.dev")[:20]
    py = Index.load(index_dir).search(de, lang="de", k=5)
    got = [httpx.get(f"{server}/search", params={"q": q, "lang": "de", "k": 5}).json()["hits"] for q in de]
    assert got == py
    batch = httpx.post(f"{server}/search", json={"queries": de, "lang": "de", "k": 5}).json()["results"]
    assert [r["hits"] for r in batch] == py and [r["query"] for r in batch] == de


def test_500_requests_from_16_threads_then_bad_requests(server, index_dir):
    de = read_lines(FLORES / "deu_Latn.dev")
    queries = [de[i % len(de)] for i in range(500)]
    want = {q: h for q, h in zip(queries[:100], Index.load(index_dir).search(queries[:100], k=3))}
    with httpx.Client(timeout=60) as client, ThreadPoolExecutor(16) as pool:
        responses = list(pool.map(lambda q: client.get(f"{server}/search", params={"q": q, "k": 3}), queries))
    assert all(r.status_code == 200 for r in responses)
    assert all(r.json()["hits"] == want[q] for q, r in zip(queries, responses) if q in want)
    bad = [httpx.get(f"{server}/search"),
           httpx.get(f"{server}/search", params={"q": "x", "k": 0}),
           httpx.get(f"{server}/search", params={"q": "x", "k": 100000}),
           httpx.get(f"{server}/search", params={"q": "x", "k": "ten"}),
           httpx.get(f"{server}/search", params={"q": "x", "colour": "blue"}),
           httpx.get(f"{server}/search", params={"q": "x" * 5000}),
           httpx.get(f"{server}/search", params={"q": "x", "lang": "qq-bad"}),
           httpx.get(f"{server}/search", params={"q": "   "}),
           httpx.post(f"{server}/search", content=b"{not json", headers={"content-type": "application/json"}),
           httpx.post(f"{server}/search", json={"queries": ["x"], "k": 5, "extra": 1}),
           httpx.post(f"{server}/search", json={"queries": [], "k": 5}),
           httpx.post(f"{server}/search", json={"queries": "not a list"}),
           httpx.post(f"{server}/search", json={"queries": ["x"], "k": -1}),
           httpx.get(f"{server}/nowhere")]
    for r in bad:
        assert 400 <= r.status_code < 500, (r.request.url, r.status_code, r.text)
        assert isinstance(r.json()["error"], str) and r.json()["error"]
    assert httpx.get(f"{server}/search", params={"q": de[0], "k": 1}).status_code == 200     # still answering


def test_page_in_headless_chromium(server):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not chromium or not driver:
        pytest.fail("the page test needs Debian's chromium and chromium-driver (.ci/run installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"):
        opts.add_argument(flag)
    browser = webdriver.Chrome(service=Service(driver, env={**os.environ}), options=opts)
    try:
        browser.get(server + "/")
        wait = WebDriverWait(browser, 60)
        wait.until(lambda b: "997 sentences" in b.find_element(By.ID, "about").text)
        box = browser.find_element(By.ID, "q")
        box.send_keys("Der Spieler des Tages ist Alex Ovechkin von den Washington Capitals.")
        browser.find_element(By.ID, "go").click()
        wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#results li.hit")))
        hits = browser.find_elements(By.CSS_SELECTOR, "#results li.hit")
        assert len(hits) == 10
        assert "Ovechkin" in hits[0].find_element(By.CLASS_NAME, "text").text
        assert float(hits[0].find_element(By.CLASS_NAME, "score").text) > 0
    finally:
        browser.quit()
