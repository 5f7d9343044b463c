"""The cache and the task queue come from the environment (docs/deploy.md)."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from workup.settings import cache_from_url


@pytest.mark.parametrize(
    "url, backend, location",
    [
        ("redis://cache.internal:6379/1", "redis.RedisCache", "redis://cache.internal:6379/1"),
        ("rediss://cache.internal:6380/0", "redis.RedisCache", "rediss://cache.internal:6380/0"),
        ("db://workup_cache", "db.DatabaseCache", "workup_cache"),
        ("file:///var/cache/rif", "filebased.FileBasedCache", "/var/cache/rif"),
        ("locmem://", "locmem.LocMemCache", ""),
    ],
)
def test_a_cache_url_names_django_s_backend(url, backend, location):
    found = cache_from_url(url)
    assert found["BACKEND"] == f"django.core.cache.backends.{backend}"
    assert found.get("LOCATION", "") == location


@pytest.mark.parametrize("url", ["memcached://x", "file://relative/path", "nonsense"])
def test_an_unknown_cache_url_is_a_clear_configuration_error(url):
    with pytest.raises(ImproperlyConfigured, match="CACHE_URL must start with"):
        cache_from_url(url)


def test_settings_with_redis_use_it_for_the_cache_and_rq_for_tasks(monkeypatch):
    import importlib

    import workup.settings as settings_module

    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/5")
    monkeypatch.delenv("CACHE_URL", raising=False)
    monkeypatch.delenv("TASKS_BACKEND", raising=False)
    monkeypatch.setenv("DJANGO_SECRET_KEY", "x" * 50)
    try:
        reloaded = importlib.reload(settings_module)
        assert reloaded.CACHES["default"]["BACKEND"].endswith("RedisCache")
        assert reloaded.TASKS["default"]["BACKEND"] == "django_tasks_rq.RQBackend"
        assert reloaded.RQ_QUEUES["default"]["URL"] == "redis://127.0.0.1:6379/5"
        assert "django_tasks_rq" in reloaded.INSTALLED_APPS
    finally:
        monkeypatch.undo()
        importlib.reload(settings_module)


def test_the_embedded_default_is_the_database_for_both(monkeypatch):
    import importlib

    import workup.settings as settings_module

    for name in ("REDIS_URL", "CACHE_URL", "TASKS_BACKEND"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DJANGO_SECRET_KEY", "x" * 50)
    try:
        reloaded = importlib.reload(settings_module)
        assert reloaded.CACHES["default"]["BACKEND"].endswith("DatabaseCache")
        assert reloaded.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"
    finally:
        monkeypatch.undo()
        importlib.reload(settings_module)
