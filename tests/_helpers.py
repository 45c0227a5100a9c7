"""Helpers shared by the test modules (imported as `from _helpers import ...`: pytest puts tests/ on the path)."""
import pytest


def fails(f, contains: str, exc=Exception):
    "Like fastcore's `test_fail(f, contains=...)`: `f()` raises `exc` and its message contains `contains`."
    with pytest.raises(exc) as e:
        f()
    assert contains in str(e.value), f"{contains!r} not in {str(e.value)!r}"


@pytest.fixture(autouse=True)
def hf_cache(tmp_path, monkeypatch):
    "Keep every cache `datasets` writes inside the test's temp dir (autouse in the modules that import it)."
    import datasets
    cache = tmp_path / "hf_cache"
    monkeypatch.setenv("HF_DATASETS_CACHE", str(cache))
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", cache)
    return cache
