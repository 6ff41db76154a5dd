"""Headless Chromium for the page tests: Debian's ``chromium`` driven through ``/usr/bin/chromedriver``
by selenium's WebDriver client (selenium-manager is never used: the driver path is given).

Screenshots are kept as test artifacts in ``$FEDGATE_ARTIFACTS/screenshots`` (default
``<repo>/target/e2e-artifacts/screenshots``), one PNG per named step.

Also here: a tiny "IdP portal" (a local HTTP server) that serves, per sign-in, the auto-submitting
HTTP-POST form an identity provider answers with (``SAMLResponse`` + ``RelayState`` to the ACS URL),
so the browser walks the same path as from a real portal.
"""

from __future__ import annotations

import html
import os
import re
import secrets
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("FEDGATE_ARTIFACTS") or REPO / "target" / "e2e-artifacts")
SCREENSHOTS = ARTIFACTS / "screenshots"
CHROMIUM = os.environ.get("FEDGATE_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("FEDGATE_CHROMEDRIVER", "/usr/bin/chromedriver")


def browser_problem() -> str | None:
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not (Path(path).is_file() and os.access(path, os.X_OK)):
            return f"{path} not found (Debian package {package}; run scripts/setup-test-env.sh)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed in the venv (run scripts/setup-test-env.sh)"
    return None


class PageContract:
    """What every page says about itself (`data-page`, `data-error-code`, `data-reference` on
    `<body>`), read through the subclass's ``body_attr``."""

    def body_attr(self, name: str) -> str | None:
        raise NotImplementedError

    @property
    def page(self) -> str | None:
        return self.body_attr("data-page")

    @property
    def error_code(self) -> str | None:
        return self.body_attr("data-error-code")

    @property
    def reference(self) -> str | None:
        return self.body_attr("data-reference")


class Browser(PageContract):
    """One headless Chromium session."""

    def __init__(self, *, javascript: bool = True):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--window-size=1100,900", "--lang=en-US"):
            options.add_argument(arg)
        if not javascript:  # pages must work without it
            options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
        self.driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
        self.driver.set_page_load_timeout(30)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def close(self) -> None:
        self.driver.quit()

    def clear_cookies(self) -> None:
        self.driver.delete_all_cookies()

    def get(self, url: str) -> None:
        self.driver.get(url)

    # --- what a page says about itself
    def body_attr(self, name: str) -> str | None:
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.TAG_NAME, "body").get_attribute(name)

    def field(self, name: str) -> str:
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, f'[data-field="{name}"]').text.strip()

    def wait_for_field(self, name: str, value: str, timeout: float = 20) -> str:
        """Waits until `data-field=name` shows `value` (a form that reloads the same page
        leaves the old element in place until the new page replaces it), and returns it."""
        from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
        from selenium.webdriver.support.ui import WebDriverWait

        def shown(_driver):
            try:
                return self.field(name) == value
            except StaleElementReferenceException:  # the old page is being replaced
                return False
            except Exception:  # noqa: BLE001 - the new page is still loading
                return False

        try:
            WebDriverWait(self.driver, timeout).until(shown)
        except TimeoutException:
            pass
        return self.field(name)

    def text(self) -> str:
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.TAG_NAME, "body").text

    def click(self, css: str) -> None:
        from selenium.webdriver.common.by import By

        self.driver.find_element(By.CSS_SELECTOR, css).click()

    def wait_for_page(self, *pages: str, timeout: float = 20) -> str:
        from selenium.webdriver.support.ui import WebDriverWait

        def ready(driver):
            try:
                page = driver.find_element("tag name", "body").get_attribute("data-page")
            except Exception:  # noqa: BLE001 - the page is still loading
                return False
            return page if page in pages else False

        try:
            return WebDriverWait(self.driver, timeout).until(ready)
        except Exception:
            pytest.fail(f"expected page {pages}, at {self.driver.current_url} with "
                        f"data-page={self.page!r}:\n{self.text()[:2000]}")

    def screenshot(self, name: str) -> Path:
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", name)
        path = SCREENSHOTS / f"{safe}.png"
        self.driver.save_screenshot(str(path))
        return path


class Portal:
    """An IdP portal stand-in: ``post_form(acs, saml_response, relay_state)`` returns a URL whose page
    auto-submits (and, without JavaScript, offers a button for) the HTTP-POST binding form."""

    def __init__(self):
        self._pages: dict[str, bytes] = {}
        portal = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                body = portal._pages.get(self.path)
                if body is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):  # quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def post_form(self, acs: str, saml_response: str, relay_state: str | None = None) -> str:
        token = secrets.token_hex(8)
        relay = (f'<input type="hidden" name="RelayState" value="{html.escape(relay_state)}">'
                 if relay_state is not None else "")
        page = (
            "<!doctype html><html><body onload=\"document.forms[0].submit()\">"
            f'<form method="post" action="{html.escape(acs)}">'
            f'<input type="hidden" name="SAMLResponse" value="{html.escape(saml_response)}">{relay}'
            '<noscript><button type="submit">Continue</button></noscript></form></body></html>'
        ).encode()
        path = f"/sso/{token}"
        self._pages[path] = page
        return self.base_url + path

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def which_or_fail(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} not found on PATH")
    return found
