"""The load test's short variant (CI): benchmarks/load.py, 30 s per phase, against CKAN under gunicorn
behind nginx with the demo's config (gunicorn alone where nginx is not installed).

On private PostgreSQL, Redis and Solr instances (tests/services.py) with the HHS divisions, the demo
glossary and 150 imported CMS records: both phases of the full benchmark (anonymous page views, signed-in
reads and writes), then 0 errors, and every acknowledged write stored exactly once (and nothing stored
that was not acknowledged).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sys

import pytest

from ckanext.hhs.tests import services

pytestmark = pytest.mark.skipif(bool(services.missing()), reason=f"private services: {services.missing()}")

DURATION = int(os.environ.get("HHS_LOAD_SECONDS", "30"))


def _load_module():
    sys.path.insert(0, os.path.join(services.ROOT, "benchmarks"))
    import load
    from harvest import scaled_catalog

    return load, scaled_catalog


def test_short_load_run_has_no_errors_and_every_write_once(tmp_path):
    load, scaled_catalog = _load_module()
    # Found, not imported: importing Locust monkey-patches this process with gevent.
    if importlib.util.find_spec("locust") is None:
        pytest.skip("Locust is not installed (dev-requirements.txt)")
    base = str(tmp_path)
    with services.Stack(base, solr_heap="384m") as stack:
        port = services.free_port()
        ini = services.write_ini(
            stack, os.path.join(base, "load.ini"), "ckan_load", f"http://127.0.0.1:{port}", "hhs_load"
        )
        services.ckan_cli(ini, "db", "init")
        services.ckan_cli(ini, "hhs", "seed-divisions")
        services.ckan_cli(ini, "hhs", "seed-demo-glossary")
        catalog = tmp_path / "cms.json"
        catalog.write_text(json.dumps(scaled_catalog(150)))
        services.ckan_cli(ini, "hhs", "import-catalog", str(catalog), "--division", "cms")
        direct = not shutil.which("nginx")
        result = load.run(ini, DURATION, users=6, workers=2, port=port, workdir=base, direct=direct)
    text = load.report(result, DURATION, 6, 2)
    print(text)
    assert result["fixture"]["dataset_count"] >= 150
    assert load.errors(result) == 0, text
    check = result["check"]
    assert check["problems"] == [], text
    # Every kind of write happened and was checked.
    assert check["dataset_updates"] > 0 and check["requests"] > 0 and check["terms"] > 0, text
    anonymous, signed_in = result["phases"]
    assert anonymous["samples"] and any(s[0] == "read" for s in signed_in["samples"]), text
    # Signed-in requests never come from nginx's cache; anonymous ones may.
    assert set(signed_in["cache"]) <= {"BYPASS", "none"}, text
