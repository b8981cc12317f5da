"""The search pages in a real browser: search, filter, open, go back, phone, no JS."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import LISTED

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
README_SHOTS = ROOT / "docs" / "screenshots"
QUERY = "antrean panjang di puskesmas"


def screenshot(page: Any, name: str, for_readme: bool = False, full_page: bool = False) -> None:
    """Keep a picture for humans: always as a test artifact, and for the README on ask."""
    for folder in [ARTIFACTS] + ([README_SHOTS] if for_readme else []):
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{name}.png"), full_page=full_page)


def total(page: Any) -> int:
    return int(page.locator("#results-title").get_attribute("data-total"))


def result_ids(page: Any) -> list[str]:
    return page.locator(".results .card").evaluate_all("cards => cards.map(c => c.dataset.id)")


def facet_counts(page: Any, name: str) -> dict[str, int]:
    """Facet value -> count as shown in the sidebar."""
    return page.evaluate(
        """name => Object.fromEntries([...document.querySelectorAll(
            `input[type=checkbox][name="${name}"]`)].map(i => [i.value,
            Number(document.querySelector(`label[for="${i.id}"] .count`).textContent)]))""",
        name,
    )


def params(page: Any) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def search(page: Any, text: str) -> None:
    page.get_by_label("Cari inovasi").fill(text)
    page.get_by_role("button", name="Cari", exact=True).click()
    page.wait_for_url(re.compile(r"[?&]q="))


def tick(page: Any, name: str, value: str) -> None:
    """Tick a facet checkbox; with JavaScript the form submits itself."""
    page.locator(f'input[name="{name}"][value="{value}"]').check()
    page.wait_for_url(re.compile(rf"[?&]{name}="))


def test_home_leads_into_sectors_provinces_and_every_practice(open_page) -> None:
    page = open_page("/")
    assert page.locator("html").get_attribute("lang") == "id"
    assert page.get_by_role("heading", level=1).is_visible()
    screenshot(page, "home", for_readme=True, full_page=True)
    tile = page.locator(".tilemap a").first
    province = tile.get_attribute("data-province")
    count = int(tile.locator(".tile__count").inner_text())
    tile.click()
    page.wait_for_url(re.compile(r"[?&]province="))
    assert params(page)["province"] == [province]
    assert total(page) == count
    page.go_back()
    page.get_by_role("link", name=re.compile(r"^Jelajahi semua")).click()
    page.wait_for_url(re.compile(r"sort=year"))
    assert total(page) == len(LISTED)  # browsing lists every practice, newest first


def test_search_shows_highlighted_results(open_page) -> None:
    page = open_page("/")
    search(page, QUERY)
    assert params(page)["q"] == [QUERY]
    assert 0 < total(page) < len(LISTED)
    cards = page.locator(".results .card")
    assert cards.count() == 10
    assert page.locator(".results .card mark").count() > 0
    assert "puskesmas" in cards.first.inner_text().lower()
    screenshot(page, "search-results")


@pytest.mark.parametrize(
    "device",
    [{}, {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}],
    ids=["desktop", "phone"],
)
def test_typing_suggests_and_updates_results_in_place(open_page, device) -> None:
    page = open_page("/?q=sampah", **device)
    before = total(page)
    box = page.get_by_role("combobox", name="Cari inovasi")
    box.fill("antrean pusk")
    page.wait_for_function("() => location.search.includes('antrean')")  # the address follows
    page.wait_for_function(
        "n => document.querySelector('#results-title').dataset.total != n", arg=before
    )
    assert page.get_by_label("Cari inovasi").input_value() == "antrean pusk"  # still typing
    options = page.get_by_role("option")
    options.first.wait_for()
    assert any("Gendis" in text for text in options.all_inner_texts())
    screenshot(page, "suggest")
    box.press("ArrowDown")
    assert box.get_attribute("aria-activedescendant") == "q-suggestion-0"
    page.get_by_role("option", name=re.compile("Gendis")).click()
    page.wait_for_url(re.compile(r"/inovasi/kipp-2015-prov-dki-gendis"))


def test_facet_changes_results_and_counts(open_page) -> None:
    page = open_page(f"/?q={QUERY}")
    filters, results = (page.locator(s).bounding_box() for s in (".filters", ".results"))
    assert filters["x"] + filters["width"] <= results["x"]  # filters beside results
    before_total, before_sectors = total(page), facet_counts(page, "sector")
    province = max(facet_counts(page, "province").items(), key=lambda kv: kv[1])[0]

    tick(page, "province", province)

    assert params(page)["province"] == [province]
    assert 0 < total(page) < before_total
    assert facet_counts(page, "sector") != before_sectors
    chip = page.get_by_role("link", name=f"Hapus filter Provinsi: {province}")
    assert chip.is_visible()
    screenshot(page, "search", for_readme=True)
    chip.click()
    page.wait_for_url(lambda url: "province=" not in url)
    assert total(page) == before_total


def test_facet_by_keyboard_keeps_focus(open_page) -> None:
    page = open_page("/?q=puskesmas")
    box = page.locator('input[name="sector"]').first
    value = box.get_attribute("value")
    box.focus()
    page.keyboard.press("Space")
    page.wait_for_url(re.compile(r"[?&]sector="))
    focused = page.evaluate("[document.activeElement.name, document.activeElement.value]")
    assert focused == ["sector", value]


def test_detail_shows_similar_with_reasons_and_back_restores_state(open_page) -> None:
    page = open_page(f"/?q={QUERY}")
    tick(page, "digital", "true")
    search_url, ids = page.url, result_ids(page)
    first = page.locator(".results .card__title a").first
    title = first.inner_text()

    first.click()
    page.wait_for_url(re.compile(r"/inovasi/"))
    assert page.get_by_role("heading", level=1).inner_text() == title
    for heading in ("Masalah", "Solusi", "Inovasi serupa"):
        assert page.get_by_role("heading", name=heading).is_visible()
    similar = page.locator(".similar .card")
    assert similar.count() > 0
    reasons = similar.locator(".card__reason").all_inner_texts()
    assert len(reasons) == similar.count()
    assert all(r.startswith("Alasan:") and len(r) > len("Alasan: ") for r in reasons)
    assert ids[0] not in similar.evaluate_all("cards => cards.map(c => c.dataset.id)")
    screenshot(page, "detail", for_readme=True)

    page.go_back()
    page.wait_for_url(search_url)
    assert result_ids(page) == ids
    assert page.locator('input[name="digital"][value="true"]').is_checked()
    assert page.get_by_label("Cari inovasi").input_value() == QUERY


def test_phone_filter_sheet_counts_before_applying(open_page, client) -> None:
    page = open_page("/", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    search(page, "sampah")
    found = total(page)
    assert found > 0
    filters = page.locator("details.filters__panel")
    assert filters.get_attribute("open") is None  # results first on a phone
    assert page.locator(".results").bounding_box()["y"] < filters.bounding_box()["y"]
    page.get_by_role("link", name="Saring hasil").click()
    assert filters.get_attribute("open") is not None
    apply = page.locator("[data-apply]")
    assert apply.inner_text() == f"Tampilkan {found} hasil"
    sector = max(facet_counts(page, "sector").items(), key=lambda kv: kv[1])[0]
    before = page.url
    page.locator(f'input[name="sector"][value="{sector}"]').check()
    expected = client.get("/api/v1/search", query_string={"q": "sampah", "sector": sector})
    narrowed = expected.json["total"]
    page.wait_for_function(
        "n => document.querySelector('[data-apply]').textContent === `Tampilkan ${n} hasil`",
        arg=narrowed,
    )
    assert page.url == before  # nothing applied yet: the sheet stays open
    screenshot(page, "filters-phone", for_readme=True)
    apply.click()
    page.wait_for_url(re.compile(r"[?&]sector="))
    assert total(page) == narrowed
    assert params(page)["sector"] == [sector]
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "no sideways scrolling on a phone"
    screenshot(page, "search-phone")


def test_long_facet_lists_can_be_searched_and_expanded(open_page) -> None:
    page = open_page("/?sort=year")  # every practice: the longest lists
    facet = page.locator('[data-facet="province"]')
    assert facet.locator("[data-facet-option]:visible").count() == 8
    facet.locator("details.facet__more > summary").click()
    assert facet.locator("[data-facet-option]:visible").count() > 20
    facet.locator("details.facet__more > summary").click()  # "Tampilkan lebih sedikit"
    assert facet.locator("[data-facet-option]:visible").count() == 8
    facet.get_by_placeholder("Cari provinsi…").fill("sulawesi")
    labels = facet.locator("[data-facet-option]:visible label").all_inner_texts()
    assert len(labels) >= 4 and all(label.startswith("Sulawesi") for label in labels)
    facet.get_by_placeholder("Cari provinsi…").fill("zzz")
    assert facet.locator("[data-facet-none]").is_visible()


def test_a_chosen_value_stays_on_top_and_regencies_sit_under_it(open_page) -> None:
    page = open_page("/?sort=year")
    options = page.locator('[data-facet="province"] input[name="province"]')
    province = options.nth(5).get_attribute("value")
    tick(page, "province", province)
    first = page.locator('[data-facet="province"] input[name="province"]').first
    assert first.get_attribute("value") == province and first.is_checked()
    headings = page.locator('[data-facet="regency_city"] [data-facet-heading]')
    assert headings.all_text_contents() == [province]


def test_search_and_filter_without_javascript(open_page) -> None:
    page = open_page("/", java_script_enabled=False)
    search(page, "puskesmas")
    found = total(page)
    page.locator('input[name="agency_level"][value="kabupaten"]').check()
    page.get_by_role("button", name="Terapkan filter").click()
    page.wait_for_url(re.compile(r"agency_level=kabupaten"))
    assert 0 < total(page) < found
    assert params(page)["q"] == ["puskesmas"]
