"""Parallel test runs (pytest-xdist): each worker gets a database, a Solr core and a Redis db of its own.

Loaded by `-p ckanext.hhs.tests.parallel` (pyproject.toml's addopts). In a worker process
(`PYTEST_XDIST_WORKER` is set, for example `gw1`) it writes `var/pytest/<worker>.ini`, which uses the
ini given with `--ckan-ini` and changes only where the data lives, makes those places if they are
missing, and points `--ckan-ini` at it before CKAN's own pytest plugin loads the configuration.
Without `-n`, nothing changes.
"""

from __future__ import annotations

import configparser
import os
import pathlib
import re
import shutil
import urllib.parse

import pytest
import requests
import sqlalchemy as sa

REDIS_FIRST_DB = 10  # worker n uses Redis db 10 + n: 0 is the demo's, 1 the serial test run's


def _worker_number(worker: str) -> int:
    return int(re.sub(r"\D", "", worker) or 0)


def _app_main(ini: pathlib.Path) -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.read(ini)
    return dict(parser["app:main"])


def _logging_sections(ini: pathlib.Path) -> str:
    """The ini's logging sections as written: CKAN reads them from the file it is given, not its parent."""
    text = ini.read_text()
    start = re.search(r"^\[loggers\]", text, flags=re.M)
    return text[start.start() :] if start else ""


def _database(url: str, worker: str) -> str:
    """A database of the worker's own on the same server, created when missing (needs CREATEDB)."""
    parsed = sa.engine.make_url(url)
    name = f"{parsed.database}_{worker}"
    engine = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            if not conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar():
                conn.execute(sa.text(f"CREATE DATABASE \"{name}\" ENCODING 'utf-8' TEMPLATE template0"))
    except sa.exc.SQLAlchemyError as error:
        raise pytest.UsageError(
            f"could not create the test database {name} for worker {worker} ({error.__class__.__name__}); "
            "the role needs CREATEDB: run `scripts/stack.sh services`"
        ) from error
    finally:
        engine.dispose()
    return str(parsed.set(database=name).render_as_string(hide_password=False))


def _solr_core(url: str, worker: str) -> str:
    """A Solr core of the worker's own beside the configured one, made from a copy of its conf/."""
    base, core = url.rstrip("/").rsplit("/", 1)
    name = f"{core}_{worker}"
    statuses = requests.get(f"{base}/admin/cores", params={"action": "STATUS"}, timeout=30).json()["status"]
    instance = pathlib.Path(statuses[core]["instanceDir"])
    target = instance.parent / name
    # A core left by an earlier run keeps its schema: one older than the configured core's (before
    # the vector field, say) is brought up to date and reloaded, not used as it is.
    stale = (target / "conf").exists() and _files(target / "conf") != _files(instance / "conf")
    if stale:
        shutil.rmtree(target / "conf")
    if not (target / "conf").exists():
        shutil.copytree(instance / "conf", target / "conf")
    if statuses.get(name):
        if not stale:
            return f"{base}/{name}"
        params = {"action": "RELOAD", "core": name}
    else:
        params = {"action": "CREATE", "name": name, "instanceDir": str(target)}
    answer = requests.get(f"{base}/admin/cores", params=params, timeout=120)
    if answer.status_code != 200:
        raise pytest.UsageError(f"could not {params['action'].lower()} the Solr core {name}: {answer.text[:300]}")
    return f"{base}/{name}"


def _files(conf: pathlib.Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in conf.iterdir() if p.is_file()}


def _redis(url: str, worker: str) -> str:
    parsed = urllib.parse.urlsplit(url)
    return parsed._replace(path=f"/{REDIS_FIRST_DB + _worker_number(worker)}").geturl()


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    given = getattr(config.option, "ckan_ini", None)
    if not worker or not given:
        return
    ini = pathlib.Path(given).resolve()
    settings = _app_main(ini)
    folder = ini.parent / "var" / "pytest"
    storage = folder / f"storage-{worker}"
    storage.mkdir(parents=True, exist_ok=True)
    overrides = {
        "sqlalchemy.url": _database(settings["sqlalchemy.url"], worker),
        "solr_url": _solr_core(settings["solr_url"], worker),
        "ckan.redis.url": _redis(settings["ckan.redis.url"], worker),
        "ckan.storage_path": str(storage),
        "ckan.site_id": f"{settings.get('ckan.site_id', 'test')}_{worker}",
    }
    lines = ["[app:main]", f"use = config:{ini}"] + [f"{k} = {v}" for k, v in overrides.items()]
    target = folder / f"{worker}.ini"
    target.write_text("\n".join(lines) + "\n\n" + _logging_sections(ini))
    config.option.ckan_ini = str(target)
