"""/metrics: what an operator scrapes, moved by real searches and writes."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families


def scrape(client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for s in family.samples
    }


def test_searches_are_timed_per_mode_and_engine_calls_counted(client):
    before = scrape(client)
    client.get("/api/v1/search?q=antrean+puskesmas&mode=lexical")
    client.get("/?q=antrean+puskesmas&mode=lexical")
    after = scrape(client)
    timed = ("jippnas_search_seconds_count", (("engine", "embedded"), ("mode", "lexical")))
    assert after[timed] - before.get(timed, 0) == 2
    executed = ("jippnas_engine_calls_total", (("call", "execute"), ("engine", "embedded")))
    assert after[executed] - before.get(executed, 0) == 2  # one plan per search
    assert ("jippnas_queue_depth", ()) in after  # no queue configured: not read, stays 0


def test_written_records_are_counted_by_outcome(write_client, auth, sample_records):
    before = scrape(write_client)
    record = sample_records[0] | {"id": "metrik-baru"}
    write_client.post("/api/v1/innovations", json=[record, {"title": "rusak"}], headers=auth)
    after = scrape(write_client)
    for outcome in ("created", "rejected"):
        key = ("jippnas_records_written_total", (("outcome", outcome),))
        assert after[key] - before.get(key, 0) == 1
