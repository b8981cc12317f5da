"""What an officer does with results in a real browser: read why each is there, search the
words as typed, download the set, copy the link, print a practice, and use the home on a
phone."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from tests.browser.test_search_ui import QUERY, params, screenshot, search, total

pytestmark = pytest.mark.browser
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.mark.parametrize("device", [{}, PHONE], ids=["desktop", "phone"])
def test_every_card_says_why_and_marks_its_title(open_page, device) -> None:
    page = open_page(f"/?q={QUERY}&province=Jawa+Timur", **device)
    cards = page.locator(".results .card")
    assert cards.count() > 0
    whys = cards.locator(".card__why").all_inner_texts()
    assert len(whys) == cards.count()
    assert all(w.startswith("Mengapa muncul:") and "Provinsi: Jawa Timur" in w for w in whys)
    assert page.locator(".results .card__title mark").count() > 0


@pytest.mark.parametrize("device", [{}, PHONE], ids=["desktop", "phone"])
def test_a_typo_fix_can_be_undone(open_page, device) -> None:
    page = open_page("/", **device)
    search(page, "antrian puskesms")
    fixed = total(page)
    page.get_by_role("link", name="Cari “antrian puskesms” saja").click()
    page.wait_for_url(re.compile(r"correct=false"))
    assert page.get_by_text("Mencari kata persis seperti diketik").is_visible()
    assert total(page) < fixed


@pytest.mark.parametrize("device", [{}, PHONE], ids=["desktop", "phone"])
def test_results_download_as_csv_and_the_link_copies(open_page, device) -> None:
    page = open_page(f"/?q={QUERY}", **device)
    shown = total(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV", exact=True).click()
    assert download.value.suggested_filename == "jippnas-inovasi.csv"
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == shown + 1  # a header and every result, not just this page

    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Salin tautan").click()
    page.get_by_text("Tautan disalin.").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == page.url


@pytest.mark.parametrize("device", [{}, PHONE], ids=["desktop", "phone"])
def test_a_practice_prints_without_the_page_around_it(open_page, device) -> None:
    page = open_page("/inovasi/kipp-2015-prov-dki-gendis-system-sigareng", **device)
    assert page.get_by_role("button", name="Cetak").is_visible()
    page.emulate_media(media="print")
    assert page.get_by_role("heading", level=1).is_visible()
    for hidden in (".similar", ".searchbox", ".tools", ".site-footer"):
        assert not page.locator(hidden).first.is_visible(), hidden


def test_home_on_a_phone(open_page) -> None:
    page = open_page("/", **PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    tiles = page.locator(".tilemap a")
    assert tiles.count() >= 25 and tiles.first.is_visible()
    screenshot(page, "home-phone")
    page.get_by_role("link", name="balita stunting di desa").click()
    page.wait_for_url(re.compile(r"[?&]q="))
    assert params(page)["q"] == ["balita stunting di desa"] and total(page) > 0
