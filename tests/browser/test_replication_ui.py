"""The replication network in a real browser: find replicated practices by the facet,
follow lineage both ways, and see a practice recorded twice as one card."""

from __future__ import annotations

import re

import pytest

from tests.browser.test_search_ui import result_ids, screenshot, search, tick

pytestmark = pytest.mark.browser
ORIGINAL = "kipp-2018-kab-luwu-utara-anc-hipnoterapi"  # replicated twice within the sample
REPLICA = "kripp-2021-kab-luwu-utara-hypnogreen"


def test_lineage_runs_both_ways_from_the_replicated_facet(open_page) -> None:
    page = open_page("/?q=ibu hamil")
    tick(page, "replication", "direplikasi")
    assert ORIGINAL in result_ids(page)
    assert page.locator(".results .badge--replicated").count() == len(result_ids(page))

    page.locator(f'.card[data-id="{ORIGINAL}"] .card__title a').click()
    page.wait_for_url(re.compile(ORIGINAL))
    lineage = page.locator(".lineage")
    heading = lineage.get_by_role(
        "heading", name=re.compile(r"Telah direplikasi oleh \d+ instansi")
    )
    assert heading.is_visible()
    replicas = lineage.locator(".lineage__list a")
    assert replicas.count() >= 2
    assert page.locator(".spread meter").count() >= 1
    page.evaluate("document.querySelector('.lineage').scrollIntoView()")
    screenshot(page, "lineage", for_readme=True)

    lineage.locator(f'a[href$="{REPLICA}"]').click()
    page.wait_for_url(re.compile(REPLICA))
    back = page.locator(".lineage").get_by_role("heading", name="Replikasi dari")
    assert back.is_visible()
    assert page.locator(f'.lineage a[href$="{ORIGINAL}"]').is_visible()


def test_a_practice_recorded_twice_shows_as_one_card(open_page) -> None:
    page = open_page("/")
    search(page, "smart kampung banyuwangi")
    pair = {
        "smartcity-2021-kab-banyuwangi-smart-kampung",
        "surya-2019-kab-banyuwangi-smart-kampung",
    }
    shown = pair & set(result_ids(page))
    assert len(shown) == 1
    card = page.locator(f'.card[data-id="{shown.pop()}"]')
    also = card.locator(".card__also")
    assert also.inner_text().startswith("Juga tercatat di")

    also.locator("a").first.click()
    page.wait_for_url(re.compile("|".join(pair)))
    same = page.locator(".lineage").get_by_role(
        "heading", name="Praktik yang sama juga tercatat sebagai"
    )
    assert same.is_visible()
    screenshot(page, "practice")


def test_daerah_saya_reorders_and_follows_to_the_practice(open_page) -> None:
    page = open_page("/")
    search(page, "stunting")
    field = page.get_by_label("Daerah saya")
    field.fill("sulsel")
    field.press("Enter")
    page.wait_for_url(re.compile(r"[?&]daerah=sulsel"))
    assert page.get_by_label("Daerah saya").input_value() == "Sulawesi Selatan"
    reasons = page.locator(".results .card__comparable").all_inner_texts()
    assert reasons and all(r.startswith("Sebanding dengan daerah Anda:") for r in reasons)

    page.locator(".results .card__title a").first.click()
    page.wait_for_url(re.compile(r"/inovasi/.+daerah=sulsel"))
    assert page.locator(".similar .card__comparable").count() > 0
