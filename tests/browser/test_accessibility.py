"""Accessibility in a real browser: axe-core finds no serious or critical violation on the
home, a filtered result page, a practice, the phone filter sheet and the page without
JavaScript, and an officer can search, filter and open a practice by keyboard alone."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.browser.test_search_ui import QUERY
from tests.conftest import need

pytestmark = pytest.mark.browser
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
FILTERED = f"/?q={QUERY}&province=Jawa+Timur&digital=true"
DETAIL = "/inovasi/kipp-2015-prov-dki-gendis-system-sigareng"


def serious_violations(page: Any) -> list[dict]:
    """axe-core's serious and critical findings, each with the first elements it names."""
    need(AXE.exists(), f"{AXE} is missing (scripts/bootstrap --test installs it with npm)")
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
            .map(v => ({id: v.id, impact: v.impact, help: v.help,
                        nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}))"""
    )
    return [v for v in found if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("path", ["/", FILTERED, DETAIL])
def test_pages_have_no_serious_accessibility_violations(open_page, path) -> None:
    page = open_page(path, bypass_csp=True)  # axe is injected as a script
    assert serious_violations(page) == []


def test_phone_filter_sheet_has_no_serious_accessibility_violations(open_page) -> None:
    page = open_page(f"/?q={QUERY}", bypass_csp=True, **PHONE)
    page.locator("#filters-title").click()
    assert serious_violations(page) == []


def test_page_without_its_script_has_no_serious_accessibility_violations(open_page) -> None:
    """The page as a browser without JavaScript shows it (ui.js is blocked; axe still runs)."""
    page = open_page("/", bypass_csp=True)
    page.route("**/static/ui.js", lambda route: route.abort())
    page.goto(FILTERED)
    assert page.evaluate("!document.documentElement.classList.contains('js')")
    assert serious_violations(page) == []


def _tab_to(page: Any, selector: str, limit: int = 200) -> None:
    """Press Tab until the focused element matches ``selector``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_search_filter_and_open_a_practice_by_keyboard_alone(open_page) -> None:
    page = open_page("/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Langsung ke konten utama"
    _tab_to(page, "#q")
    page.keyboard.type(QUERY)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"[?&]q="))
    _tab_to(page, 'input[name="sector"]')
    page.keyboard.press("Space")
    page.wait_for_url(re.compile(r"[?&]sector="))
    _tab_to(page, ".results .card__title a")
    title = page.evaluate("document.activeElement.textContent")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/inovasi/"))
    assert page.get_by_role("heading", level=1).inner_text() == title
