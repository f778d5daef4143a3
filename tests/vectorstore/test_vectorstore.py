"""Behaviour of vectorstore.VectorIndex against real FAISS, checked with numpy brute force on small data."""

from __future__ import annotations

import hashlib
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from vectorstore import IndexCorrupt, VectorIndex

DIM = 32


def unit(rng: np.random.Generator, n: int, dim: int = DIM) -> np.ndarray:
    x = rng.standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def brute_force(
    keys: list[str], x: np.ndarray, query: np.ndarray, k: int, exclude: set[str] = frozenset()
) -> list[tuple[str, float]]:
    scores = x @ query
    order = [i for i in np.argsort(-scores, kind="stable") if keys[i] not in exclude][:k]
    return [(keys[i], float(scores[i])) for i in order]


def assert_same_hits(got: list[tuple[str, float]], want: list[tuple[str, float]]) -> None:
    assert [key for key, _ in got] == [key for key, _ in want]
    np.testing.assert_allclose([s for _, s in got], [s for _, s in want], rtol=0, atol=1e-5)


def build(n: int, *, seed: int = 0, **params: int) -> tuple[VectorIndex, list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    keys = [f"item-{i}" for i in range(n)]
    x = unit(rng, n)
    index = VectorIndex(DIM, **params)
    index.upsert(keys, x)
    return index, keys, x


def recall(index: VectorIndex, keys: list[str], x: np.ndarray, queries: np.ndarray, k: int) -> float:
    hits = 0
    for q in queries:
        truth = {key for key, _ in brute_force(keys, x, q, k)}
        hits += len(truth & {key for key, _ in index.search(q, k)})
    return hits / (k * len(queries))


# --------------------------------------------------------------------------- exact (flat) mode
def test_exact_search_returns_true_nearest_neighbours_best_first() -> None:
    index, keys, x = build(1000)
    assert index.kind == "flat"
    for q in unit(np.random.default_rng(1), 5):
        assert_same_hits(index.search(q, 10), brute_force(keys, x, q, 10))


def test_search_many_agrees_with_single_searches() -> None:
    index, keys, x = build(800)
    queries = unit(np.random.default_rng(2), 12)  # large enough for the batched (BLAS) kernel
    exclude = set(keys[:40])
    batch = index.search_many(queries, 7, exclude=exclude)
    assert len(batch) == len(queries)
    for q, hits in zip(queries, batch, strict=True):
        assert_same_hits(hits, index.search(q, 7, exclude=exclude))
        assert_same_hits(hits, brute_force(keys, x, q, 7, exclude))


def test_excluded_ids_never_returned_and_k_still_filled() -> None:
    index, keys, x = build(1000)
    rng = np.random.default_rng(3)
    for q in unit(rng, 5):
        nearest = [key for key, _ in brute_force(keys, x, q, 20)]
        exclude = set(nearest) | {keys[i] for i in rng.choice(1000, 50, replace=False)} | {"unknown-id"}
        hits = index.search(q, 25, exclude=exclude)
        assert len(hits) == 25
        assert not exclude & {key for key, _ in hits}
        assert_same_hits(hits, brute_force(keys, x, q, 25, exclude))


def test_k_larger_than_index_returns_every_eligible_id() -> None:
    index, keys, x = build(30)
    hits = index.search(x[0], 100, exclude=keys[:5])
    assert sorted(key for key, _ in hits) == sorted(keys[5:])
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)


def test_empty_index_and_non_positive_k_return_nothing() -> None:
    empty = VectorIndex(DIM)
    q = unit(np.random.default_rng(4), 1)[0]
    assert empty.search(q, 5) == []
    assert empty.search_many(np.stack([q, q]), 5) == [[], []]
    index, keys, _ = build(10)
    assert index.search(q, 0) == [] and index.search(q, -3) == []
    assert index.search(q, 5, exclude=keys) == []


def test_invalid_shapes_and_values_raise_value_error() -> None:
    index, _, _ = build(10)
    good = np.zeros((1, DIM), dtype=np.float32)
    with pytest.raises(ValueError):
        index.upsert(["a"], np.zeros((1, DIM + 1)))
    with pytest.raises(ValueError):
        index.upsert(["a", "b"], good)
    with pytest.raises(ValueError):
        index.upsert(["a"], np.full((1, DIM), np.nan))
    with pytest.raises(ValueError):
        index.upsert(["a"], np.full((1, DIM), 1e300))  # overflows float32
    with pytest.raises(ValueError):
        index.search(np.zeros(DIM + 1), 3)
    with pytest.raises(ValueError):
        index.search_many(np.zeros((2, DIM - 1)), 3)
    assert len(index) == 10 and "a" not in index


def test_upsert_accepts_any_float_dtype_and_stores_float32_as_given() -> None:
    index = VectorIndex(3)
    index.upsert(["a", "b"], np.array([[1.0, 2.0, 3.0], [0.5, 0.0, -1.0]], dtype=np.float64))
    got = index.get("a")
    assert got is not None and got.dtype == np.float32
    np.testing.assert_array_equal(got, [1.0, 2.0, 3.0])  # not normalised: the caller decides
    got[0] = 99.0  # a copy: mutating it leaves the index alone
    np.testing.assert_array_equal(index.get("a"), [1.0, 2.0, 3.0])
    assert index.get("missing") is None
    found, matrix = index.get_many(["b", "missing", "a"])
    assert found == ["b", "a"]
    np.testing.assert_array_equal(matrix, [[0.5, 0.0, -1.0], [1.0, 2.0, 3.0]])
    assert index.get_many([])[1].shape == (0, 3)


def test_duplicate_ids_in_one_upsert_last_wins() -> None:
    index = VectorIndex(2)
    index.upsert(["a", "b", "a"], np.array([[1, 0], [0, 1], [-1, 0]], dtype=np.float32))
    assert len(index) == 2 and sorted(index.ids()) == ["a", "b"]
    np.testing.assert_array_equal(index.get("a"), [-1, 0])


# --------------------------------------------------------------------------- both modes
# A modest ef_construction keeps graph builds (and the test file) fast; recall is still checked.
HNSW = {"hnsw_threshold": 500, "ef_construction": 80}
MODES: dict[str, dict[str, int]] = {"flat": {}, "hnsw": HNSW}


@pytest.mark.parametrize("mode", MODES)
def test_upsert_replaces_vector_and_search_finds_it_at_new_position(mode: str) -> None:
    index, _, x = build(1000, **MODES[mode])
    assert index.kind == mode
    old, new = x[7].copy(), unit(np.random.default_rng(5), 1)[0]
    index.upsert(["item-7"], new[None, :])
    assert len(index) == 1000
    top = index.search(new, 1)[0]
    assert top[0] == "item-7" and top[1] == pytest.approx(1.0, abs=1e-5)
    assert "item-7" not in {key for key, _ in index.search(old, 10)}
    np.testing.assert_array_equal(index.get("item-7"), new)


@pytest.mark.parametrize("mode", MODES)
def test_removed_ids_are_unfindable(mode: str) -> None:
    index, keys, x = build(1000, **MODES[mode])
    gone = keys[:100:2]
    assert index.remove([*gone, "never-there", gone[0]]) == len(gone)
    assert index.remove("item-1") == 1  # a bare str is one id, not its characters
    gone.append("item-1")
    assert len(index) == 1000 - len(gone) and not any(key in index for key in gone)
    for q in x[:100:2]:  # each removed vector's own position
        assert not set(gone) & {key for key, _ in index.search(q, 10)}
        assert len(index.search(q, 10)) == 10
    assert index.get("item-0") is None and set(index.ids()) == set(keys) - set(gone)


# --------------------------------------------------------------------------- HNSW mode
def test_crossing_the_threshold_by_upserts_switches_to_hnsw() -> None:
    rng = np.random.default_rng(6)
    index = VectorIndex(DIM, **HNSW)
    index.upsert([f"a{i}" for i in range(499)], unit(rng, 499))
    assert index.kind == "flat"
    index.upsert(["a499"], unit(rng, 1))
    assert index.kind == "hnsw" and len(index) == 500


def test_hnsw_recall_at_10_matches_brute_force() -> None:
    index, keys, x = build(2000, **HNSW)
    assert index.kind == "hnsw"
    assert recall(index, keys, x, unit(np.random.default_rng(7), 100), 10) >= 0.95


def test_hnsw_exclusion_and_removal_stay_correct() -> None:
    index, keys, x = build(2000, **HNSW)
    rng = np.random.default_rng(8)
    removed = set(keys[1000:1100])
    index.remove(removed)  # 5% tombstones: no rebuild, filtered at search time
    live = [i for i, key in enumerate(keys) if key not in removed]
    live_keys, live_x = [keys[i] for i in live], x[live]
    hits_total = 0
    for q in unit(rng, 30):
        nearest = {key for key, _ in brute_force(live_keys, live_x, q, 300)}  # crowd the beam
        exclude = nearest | set(rng.choice(keys, 50).tolist())
        hits = index.search(q, 50, exclude=exclude)
        assert len(hits) == 50
        assert not (exclude | removed) & {key for key, _ in hits}
        truth = {key for key, _ in brute_force(live_keys, live_x, q, 50, exclude)}
        hits_total += len(truth & {key for key, _ in hits})
    assert hits_total / (50 * 30) >= 0.9


def test_hnsw_rebuilds_after_many_removals_and_replacements() -> None:
    index, keys, x = build(1000, **HNSW)
    index.remove(keys[:250])  # 25% tombstones -> rebuilt, still above the threshold
    assert index.kind == "hnsw"
    rng = np.random.default_rng(9)
    replaced = keys[250:550]  # 40% replaced -> rebuilt again
    fresh = unit(rng, len(replaced))
    index.upsert(replaced, fresh)
    assert index.kind == "hnsw" and len(index) == 750
    now_x = np.concatenate([fresh, x[550:]])
    assert recall(index, keys[250:], now_x, unit(rng, 50), 10) >= 0.95
    for i in range(0, 300, 30):
        assert index.search(fresh[i], 1)[0][0] == replaced[i]


def test_shrinking_below_threshold_returns_to_exact_search() -> None:
    index, keys, x = build(2000, **HNSW)
    index.remove(keys[:1600])
    assert index.kind == "flat" and len(index) == 400
    q = unit(np.random.default_rng(10), 1)[0]
    assert_same_hits(index.search(q, 10), brute_force(keys[1600:], x[1600:], q, 10))


# --------------------------------------------------------------------------- persistence
FILES = {
    "flat": ["vectors.npy", "ids.json", "checksums.json"],
    "hnsw": ["vectors.npy", "ids.json", "index.faiss", "graph_ids.json", "checksums.json"],
}


@pytest.fixture(scope="module")
def snapshots(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[VectorIndex, Path, str]]:
    """One saved index per mode (with tombstones and replacements), built once for the module."""
    made = {}
    for mode, params in MODES.items():
        index, keys, _ = build(1000, **params)
        index.remove(keys[:50])
        index.upsert(keys[60:70], unit(np.random.default_rng(11), 10))
        directory = tmp_path_factory.mktemp(mode) / "snapshot"
        made[mode] = (index, directory, index.save(directory))
    return made


def copy_of(snapshots: dict[str, tuple[VectorIndex, Path, str]], mode: str, tmp_path: Path) -> Path:
    return Path(shutil.copytree(snapshots[mode][1], tmp_path / "snapshot"))


@pytest.mark.parametrize("mode", MODES)
def test_save_load_round_trip_gives_identical_search_results(
    snapshots: dict[str, tuple[VectorIndex, Path, str]], mode: str
) -> None:
    index, directory, digest = snapshots[mode]
    assert digest == hashlib.sha256((directory / "checksums.json").read_bytes()).hexdigest()
    assert sorted(p.name for p in directory.iterdir()) == sorted(FILES[mode])
    loaded = VectorIndex.load(directory)
    assert (loaded.kind, loaded.dim, len(loaded)) == (index.kind, index.dim, len(index))
    assert loaded.ids() == index.ids()
    queries = unit(np.random.default_rng(12), 10)
    exclude = index.ids()[:30]
    assert loaded.search_many(queries, 20, exclude) == index.search_many(queries, 20, exclude)
    for q in queries:
        assert loaded.search(q, 20, exclude) == index.search(q, 20, exclude)
    assert index.save(directory) == digest  # same content, same manifest


@pytest.mark.parametrize("mode, name", [(m, f) for m, names in FILES.items() for f in names])
def test_flipped_byte_in_any_saved_file_makes_load_raise_naming_it(
    snapshots: dict[str, tuple[VectorIndex, Path, str]], tmp_path: Path, mode: str, name: str
) -> None:
    directory = copy_of(snapshots, mode, tmp_path)
    path = directory / name
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(IndexCorrupt, match=name.replace(".", r"\.")):
        VectorIndex.load(directory)


@pytest.mark.parametrize("mode, name", [(m, f) for m, names in FILES.items() for f in names])
def test_missing_saved_file_makes_load_raise_naming_it(
    snapshots: dict[str, tuple[VectorIndex, Path, str]], tmp_path: Path, mode: str, name: str
) -> None:
    directory = copy_of(snapshots, mode, tmp_path)
    (directory / name).unlink()
    with pytest.raises(IndexCorrupt, match=name.replace(".", r"\.")):
        VectorIndex.load(directory)


# --------------------------------------------------------------------------- concurrency
def test_concurrent_searches_during_upserts_see_only_valid_whole_states() -> None:
    """Readers search while a writer replaces a group of ids (always all with one identical vector),
    adds new ids until the index crosses into HNSW, and removes ids; every result must be consistent."""
    rng = np.random.default_rng(13)
    index = VectorIndex(DIM, hnsw_threshold=1200, ef_construction=80)
    base = [f"base-{i}" for i in range(800)]
    index.upsert(base, unit(rng, 800))
    removed = set(base[:40])
    index.remove(removed)
    group = [f"group-{i}" for i in range(10)]
    axis = np.eye(DIM, dtype=np.float32)[0]
    excluded = {"group-3", "base-100"}
    valid = set(base) - removed | set(group) | {f"new-{i}" for i in range(600)}
    errors: list[BaseException] = []
    done = threading.Event()

    def reader() -> None:
        try:
            while not done.is_set():
                for hits in index.search_many(np.stack([axis, -axis]), 15, exclude=excluded):
                    keys = [key for key, _ in hits]
                    assert len(hits) == 15 and set(keys) <= valid and not set(keys) & (excluded | removed)
                    group_scores = [s for key, s in hits if key.startswith("group-")]
                    assert np.ptp(group_scores) < 1e-4 if group_scores else True, "half-applied upsert seen"
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    def writer() -> None:
        try:
            for step in range(30):
                direction = axis + 0.3 * unit(rng, 1)[0]
                vectors = np.repeat((3 * direction / np.linalg.norm(direction))[None, :], len(group), axis=0)
                index.upsert(group, vectors)
                index.upsert([f"new-{i}" for i in range(step * 20, step * 20 + 20)], unit(rng, 20))
                index.remove([f"base-{700 + step}"])
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    readers = [threading.Thread(target=reader) for _ in range(4)]
    for thread in readers:
        thread.start()
    writer_thread = threading.Thread(target=writer)
    writer_thread.start()
    writer_thread.join(timeout=60)
    done.set()
    for thread in readers:
        thread.join(timeout=60)
    assert not errors, errors[0]
    assert index.kind == "hnsw" and len(index) == 800 - 40 + 10 + 600 - 30
