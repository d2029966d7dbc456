"""The HTML report in a real headless browser (Debian's Chromium driven by
Playwright): every image loads, the console shows no errors and the page asks
the network for nothing."""

from __future__ import annotations

from pathlib import Path

import salesim
from salesim.report.html import write_html

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def test_report_opens_in_a_browser(ensemble: salesim.Ensemble, tmp_path: Path) -> None:
    from playwright.sync_api import Request, Route, sync_playwright

    page_path = write_html(ensemble, tmp_path / "report.html", target=150_000)
    errors: list[str] = []
    requests: list[str] = []

    def only_the_file(route: Route, request: Request) -> None:
        if request.url.startswith(("file:", "data:")):
            route.continue_()
        else:
            requests.append(request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.route("**/*", only_the_file)
            page.on("console", lambda message: errors.append(message.text)
                    if message.type == "error" else None)
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(page_path.as_uri(), wait_until="load")
            images = page.evaluate(
                "Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.alt])")
            title = page.title()
            heading = page.inner_text("h1")
            page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        finally:
            browser.close()
    assert len(images) == 10
    assert all(complete and width > 0 for complete, width, _ in images), images
    assert errors == []
    assert requests == []
    assert heading == "Minimal"
    assert title == "Minimal: salesim report"
    assert (tmp_path / "report.png").stat().st_size > 50_000
