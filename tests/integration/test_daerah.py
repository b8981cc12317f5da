""" "Daerah saya": an officer names their own region; search and "Inovasi serupa" then
prefer practices from comparable regions and say why, and the choice stays in the URL."""

from __future__ import annotations

from urllib.parse import quote

QUERY = "/api/v1/search?q=stunting&size=10"


def _ids(body: dict) -> list[str]:
    return [r["id"] for r in body["results"]]


def test_search_prefers_comparable_regions_and_says_why(client):
    plain = client.get(QUERY).json
    sulsel = client.get(QUERY + "&daerah=sulsel").json
    assert sulsel["total"] == plain["total"]  # the same results, in another order
    assert set(_ids(sulsel)) <= set(_ids(client.get(QUERY.replace("10", "50")).json))

    def rank_of_first_from_sulsel(body: dict) -> int:
        provinces = [r["province"] for r in body["results"]]
        return provinces.index("Sulawesi Selatan")

    assert rank_of_first_from_sulsel(sulsel) < rank_of_first_from_sulsel(plain)
    said = {r["province"]: r["comparable"] for r in sulsel["results"]}
    assert "di provinsi yang sama (Sulawesi Selatan)" in said["Sulawesi Selatan"]
    assert "comparable" not in plain["results"][0]


def test_similar_takes_daerah_too(client):
    path = "/api/v1/innovations/kipp-2018-kab-luwu-utara-anc-hipnoterapi/similar"
    near = client.get(path + "?daerah=" + quote("Kabupaten Sleman")).json["results"]
    reasons = [r["comparable"] for r in near if r["comparable"]]
    assert reasons and all(r.startswith("Sebanding dengan daerah Anda:") for r in reasons)


def test_an_unknown_region_is_a_clear_400(client):
    body = client.get(QUERY + "&daerah=Atlantis").json
    assert body["error"]["details"]["parameter"] == "daerah"
    page = client.get("/?q=stunting&daerah=Atlantis")
    assert page.status_code == 400 and "Daerah saya" in page.get_data(as_text=True)


def test_the_page_keeps_daerah_in_its_links(client):
    page = client.get("/?q=stunting&daerah=kab.+sleman").get_data(as_text=True)
    assert 'value="Kabupaten Sleman"' in page
    assert "/inovasi/" in page and "daerah=kab.+sleman" in page
    assert "Sebanding dengan daerah Anda" in page
