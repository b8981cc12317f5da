"""The OpenSearch engine on a real node: parity with the embedded engine, atomic batches,
zero-downtime reindex, and 503 then recovery when the node cannot be reached."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from app.cli import main
from indexer.embeddings import Embedder, ModelInfo
from indexer.engines.base import Filters, MatchQuery, WriteFailed, keyword_search
from indexer.engines.embedded import EmbeddedEngine
from indexer.engines.opensearch import OpenSearchEngine
from indexer.ingest import Ingestor, IngestReport
from indexer.locks import FileStoreLock
from tests.conftest import SAMPLE_SIZE, make_app
from tests.support.gate import Gate
from tests.support.probes import probe, probing

pytestmark = pytest.mark.opensearch

QUERIES = [
    "puskesmas",
    "antrean panjang di puskesmas",
    "antrian puskesms",
    "sampah",
    "akta kelahiran",
    "e-KTP",
    "Dinas Kependudukan dan Pencatatan Sipil",
    "stunting balita",
    "umkm pasar",
    "dan di",
]
FILTERS = [
    Filters(),
    Filters({"province": ("Jawa Timur", "Bali")}),
    Filters({"sector": ("kesehatan",)}, year_from=2018),
    Filters({"agency_level": ("kabupaten", "kota")}, digital=True),
    Filters(year_from=2019, year_to=2020, digital=False),
]


@pytest.fixture(scope="module")
def embedded_sample(sample_store: Path) -> Iterator[EmbeddedEngine]:
    engine = EmbeddedEngine(sample_store)
    yield engine
    engine.close()


def fill(target: OpenSearchEngine, source: EmbeddedEngine, model: ModelInfo) -> None:
    """Copy records and vectors as stored, so both engines hold exactly the same data."""
    ids = [h.id for h in source.browse(Filters(), 10_000)]
    records = [source.get(i) for i in ids]
    vectors = np.stack([source.get_vector(i) for i in ids])
    target.upsert(records, vectors, model)  # type: ignore[arg-type]


@pytest.fixture
def fresh(opensearch_url: str) -> Iterator[OpenSearchEngine]:
    engine = OpenSearchEngine(opensearch_url, f"test-{uuid.uuid4().hex}")
    yield engine
    engine.drop()
    engine.close()


@pytest.fixture(scope="module")
def os_sample(
    opensearch_url: str, embedded_sample: EmbeddedEngine, embedder: Embedder
) -> Iterator[OpenSearchEngine]:
    engine = OpenSearchEngine(opensearch_url, f"test-{uuid.uuid4().hex}")
    fill(engine, embedded_sample, embedder.info)
    yield engine
    engine.drop()
    engine.close()


def _ids(hits) -> set[str]:
    return {h.id for h in hits}


def test_engines_agree_on_sample_data(embedded_sample, os_sample):
    """Same facet counts, same filtered sets, same exact-match ids and corrections."""
    assert os_sample.count() == embedded_sample.count() == SAMPLE_SIZE
    for filters in FILTERS:
        assert os_sample.facets(MatchQuery(), filters) == embedded_sample.facets(
            MatchQuery(), filters
        )
        assert os_sample.browse(filters, 200) == embedded_sample.browse(filters, 200)
        for query in QUERIES:
            ours, theirs = (
                keyword_search(os_sample, query, filters, 200),
                keyword_search(embedded_sample, query, filters, 200),
            )
            assert (ours.total, _ids(ours.hits), ours.corrections) == (
                theirs.total,
                _ids(theirs.hits),
                theirs.corrections,
            ), (query, filters)
            match = MatchQuery(text=query)
            assert os_sample.facets(match, filters) == embedded_sample.facets(match, filters)
    assert keyword_search(embedded_sample, "antrian puskesms", Filters(), 5).corrections


def test_engines_agree_on_vectors(embedded_sample, os_sample):
    """k-NN with filters inside the search, exclusions and thresholds; radial facet sets."""
    for record_id in (
        "kipp-2015-prov-dki-gendis-system-sigareng",
        "kipp-2019-prov-jateng-tele-apik",
    ):
        vector = embedded_sample.get_vector(record_id)
        np.testing.assert_allclose(os_sample.get_vector(record_id), vector, atol=1e-6)
        for filters in FILTERS:
            ours = os_sample.knn(vector, filters, 10, 0.3, exclude=[record_id])
            theirs = embedded_sample.knn(vector, filters, 10, 0.3, exclude=[record_id])
            assert [h.id for h in ours] == [h.id for h in theirs]
            assert [h.score for h in ours] == pytest.approx([h.score for h in theirs], abs=1e-5)
            for weight, threshold in ((0.0, 0.7), (0.08, 0.78), (0.1, 0.85), (0.3, 0.9)):
                match = MatchQuery("sampah plastik", vector, weight, threshold)
                candidates = [h.id for h in ours]
                assert os_sample.facets(match, filters, candidates=candidates) == (
                    embedded_sample.facets(match, filters, candidates=candidates)
                )


def test_refused_record_rolls_back_the_whole_batch(fresh, embedded_sample, embedder):
    """A record the node refuses (here: a year that is not a number) fails the batch and
    leaves every other record as it was, like the embedded engine's transaction."""
    ids = [h.id for h in embedded_sample.browse(Filters(), 3)]
    records = [embedded_sample.get(i) for i in ids]
    vectors = np.stack([embedded_sample.get_vector(i) for i in ids])
    fresh.upsert(records[:1], vectors[:1], embedder.info)
    before = fresh.get(ids[0])
    batch = [records[0].replace(title="Diubah"), records[1], records[2].replace(year="kemarin")]
    with pytest.raises(WriteFailed, match=ids[2]) as failure:
        fresh.upsert(batch, vectors, embedder.info)
    assert [record_id for record_id, _ in failure.value.errors] == [ids[2]]
    assert fresh.get(ids[0]) == before
    assert fresh.get(ids[1]) is None and fresh.count() == 1
    assert keyword_search(fresh, "diubah", Filters(), 5).total == 0


def segments(engine: OpenSearchEngine) -> list[int]:
    """Searchable segments of each shard copy of the engine's live index."""
    (index,) = engine.generations()
    shards = engine.client.indices.segments(index=index)["indices"][index]["shards"]
    return [len(copy["segments"]) for shard in shards.values() for copy in shard]


def test_merging_leaves_one_segment_per_shard_and_the_same_answers(
    fresh, embedded_sample, embedder
):
    """Each refreshed write batch adds a segment (each k-NN search walks every one's
    graph); a merge joins them and searches answer as before. A reindex merges too."""
    ids = [h.id for h in embedded_sample.browse(Filters(), SAMPLE_SIZE)]
    for chunk in (ids[:200], ids[200:400], ids[400:]):
        records = [embedded_sample.get(i) for i in chunk]
        vectors = np.stack([embedded_sample.get_vector(i) for i in chunk])
        fresh.upsert(records, vectors, embedder.info)  # type: ignore[arg-type]
    vector = embedded_sample.get_vector(ids[0])
    before = probe(fresh, vector)
    assert segments(fresh) == [3]
    fresh.merge()
    assert segments(fresh) == [1] and probe(fresh, vector) == before
    fresh.upsert([embedded_sample.get(ids[0])], vector[None, :], embedder.info)  # type: ignore[list-item]
    fresh.reindex(embedder)
    assert segments(fresh) == [1] and probe(fresh, vector) == before


def test_reindex_swaps_alias_while_searching(fresh, embedded_sample, embedder):
    """Readers (another client, as in another process) never fail nor see fewer results."""
    fill(fresh, embedded_sample, embedder.info)
    vector = embedded_sample.get_vector("kipp-2015-prov-dki-gendis-system-sigareng")
    reader = OpenSearchEngine(fresh.location, fresh.alias)

    expected = probe(reader, vector)
    assert expected[0] > 0 and expected[2] > 0 and len(expected[3]) == 5
    with probing(reader, vector) as seen:
        first_generation = fresh.generations()
        reports = [fresh.reindex(embedder) for _ in range(2)]
    reader.close()
    assert not seen.failures, seen.failures[:3]
    assert len(seen.answers) > 10 and all(a == expected for a in seen.answers)
    assert [r.records for r in reports] == [SAMPLE_SIZE, SAMPLE_SIZE] and not any(
        r.reembedded for r in reports
    )
    assert reports[0].old == tuple(first_generation)
    assert fresh.generations() == [reports[1].new]
    assert probe(reader, vector) == expected
    segments = fresh.client.indices.segments(index=reports[1].new)["indices"][reports[1].new]
    assert all(
        len(copy["segments"]) == 1 for shard in segments["shards"].values() for copy in shard
    )


def test_writes_during_a_reindex_wait_for_the_swap_and_none_is_lost(
    fresh, embedded_sample, embedder, tmp_path
):
    """A worker writing and the CLI rebuilding (two engines sharing one lock file, as two
    processes do): each write waits for the swap instead of landing in the old
    generation, so every record written while the copy ran is in the new one."""
    lock = tmp_path / "store.lock"
    builder = OpenSearchEngine(fresh.location, fresh.alias, lock=FileStoreLock(lock))
    writer = OpenSearchEngine(fresh.location, fresh.alias, lock=FileStoreLock(lock))
    fill(builder, embedded_sample, embedder.info)
    source = [h.id for h in embedded_sample.browse(Filters(), 200)]
    written: list[str] = []
    rebuilt = threading.Event()

    def write() -> None:
        for n, record_id in enumerate(source):
            record = embedded_sample.get(record_id).replace(id=f"{record_id}-baru")
            writer.upsert([record], embedded_sample.get_vector(record_id)[None], embedder.info)
            written.append(record.id)
            if rebuilt.is_set() and n % 10 == 9:
                return

    thread = threading.Thread(target=write)
    thread.start()
    while len(written) < 3:
        time.sleep(0.05)
    report = builder.reindex(embedder)
    rebuilt.set()
    thread.join(120)
    assert report.records >= 158  # the copy saw writes made before it started
    assert builder.count() == SAMPLE_SIZE + len(written)
    assert set(builder.get_many(written)) == set(written)
    builder.close()
    writer.close()


def test_reindex_reembeds_when_the_model_changed(fresh, embedded_sample, embedder):
    ids = [h.id for h in embedded_sample.browse(Filters(), 4)]
    records = [embedded_sample.get(i) for i in ids]
    random = np.random.default_rng(7).normal(size=(4, embedder.info.dimension))
    old_model = ModelInfo("older-model", embedder.info.dimension)
    fresh.upsert(records, (random / np.linalg.norm(random, axis=1, keepdims=True)), old_model)
    stored = fresh.get(ids[0])
    report = fresh.reindex(embedder)
    assert report.reembedded and report.records == 4
    assert fresh.model_info() == embedder.info
    expected = embedder.encode([r.embedding_text() for r in records])
    for record_id, vector in zip(ids, expected, strict=True):
        np.testing.assert_allclose(fresh.get_vector(record_id), vector, atol=1e-5)
    assert fresh.get(ids[0]) == stored  # timestamps kept


def test_reindex_command(os_sample, monkeypatch, tmp_path):
    monkeypatch.setenv("JIPPNAS_DATA_DIR", str(tmp_path))  # the store lock file goes here
    monkeypatch.setenv("JIPPNAS_ENGINE", "opensearch")
    monkeypatch.setenv("JIPPNAS_OPENSEARCH_URL", os_sample.location)
    monkeypatch.setenv("JIPPNAS_OPENSEARCH_INDEX", os_sample.alias)
    before = os_sample.generations()
    result = CliRunner().invoke(main, ["reindex"])
    assert result.exit_code == 0, result.output
    assert os_sample.generations() != before and f"{SAMPLE_SIZE} records copied" in result.output


def test_search_answers_503_while_node_unreachable_then_recovers(os_sample, embedder, tmp_path):
    gate = Gate(os_sample.location)
    gate.open()
    app = make_app(
        tmp_path,
        embedder,
        engine="opensearch",
        opensearch_url=gate.url,
        opensearch_index=os_sample.alias,
    )
    client = app.test_client()
    url = "/api/v1/search?q=antrean%20panjang%20di%20puskesmas"
    before = client.get(url)
    assert before.status_code == 200 and before.json["total"] > 0
    gate.shut()
    try:
        for _ in range(2):  # stays down, and the process keeps answering
            down = client.get(url)
            assert down.status_code == 503
            error = down.json["error"]
            assert error["code"] == "engine_unavailable"
            assert "OpenSearch" in error["message"] and "cannot be reached" in error["message"]
        assert client.get("/healthz").status_code == 503
    finally:
        gate.open()
    after = client.get(url)
    assert after.status_code == 200 and after.json == before.json | {
        "took_ms": after.json["took_ms"]
    }
    assert client.get("/healthz").json["records"] == SAMPLE_SIZE
    gate.shut()


def test_ingest_rejects_refused_records_and_stores_the_rest(fresh, embedded_sample, embedder):
    """The ingest path turns an engine refusal into per-record rejections."""
    ids = [h.id for h in embedded_sample.browse(Filters(), 3)]
    records = [embedded_sample.get(i) for i in ids]
    vectors = np.stack([embedded_sample.get_vector(i) for i in ids])
    batch = [(1, records[0]), (2, records[1].replace(year="kemarin")), (3, records[2])]
    report = IngestReport()
    written = Ingestor(fresh, embedder)._store(batch, vectors, report)
    assert [(p, r.status) for p, r in written] == [(1, "created"), (3, "created")]
    assert [(r.position, r.id) for r in report.rejections] == [(2, ids[1])]
    assert "refused by the search engine" in report.rejections[0].errors[0].reason
    assert fresh.count() == 2


def test_a_search_costs_at_most_two_round_trips(os_sample, embedder, monkeypatch):
    """Whatever the mode, filters, sort or page: the query is resolved in one request
    (its words known and corrected, the nearest record for the expansion) and the plan
    executed in one more (lists, counts and the records of the page)."""
    from ranking.query import SearchRequest
    from ranking.search import SearchService

    requests: list[str] = []
    perform = os_sample.client.transport.perform_request

    def counted(method, url, *args, **kwargs):
        requests.append(f"{method} {url}")
        return perform(method, url, *args, **kwargs)

    service = SearchService(os_sample, embedder)
    service.search(SearchRequest(q="sampah"))  # the store's layout is read once, then reused
    monkeypatch.setattr(os_sample.client.transport, "perform_request", counted)
    jatim = Filters({"province": ("Jawa Timur",)}, year_from=2015)
    for request in (
        SearchRequest(q="antrian puskesms", mode="lexical"),
        SearchRequest(q="antrian puskesms", mode="hybrid"),
        SearchRequest(q="antrean pasien", mode="semantic", filters=jatim),
        SearchRequest(q="waste bank for villages", filters=jatim, sort="year", page=2, size=2),
        SearchRequest(filters=jatim),
    ):
        requests.clear()
        response = service.search(request)
        assert response.total > 0 and response.results, request
        assert len(requests) <= 2, (request, requests)
        if request.q == "antrian puskesms":
            assert response.corrections == {"puskesms": "puskesmas"}
