"""Smoke tests: the plugin loads with the CKAN extensions it builds on, and the real services work."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import pytest

import ckan.lib.jobs as jobs
import ckan.lib.search as search
import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.hhs.tests import factories, services

PLUGINS = ["hhs", "scheming_datasets", "scheming_organizations", "dcat", "structured_data", "harvest"]


@pytest.mark.usefixtures("with_plugins")
def test_plugins_load_together():
    for name in PLUGINS:
        assert p.plugin_loaded(name), name


@pytest.mark.usefixtures("with_plugins")
def test_status_show_lists_the_plugins(app):
    status = app.get("/api/3/action/status_show").json["result"]
    for name in PLUGINS:
        assert name in status["extensions"]
    assert status["ckan_version"].startswith("2.11.")


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
def test_dataset_created_through_the_api_is_found_by_search():
    dataset = factories.HhsDataset(title="Medicare Inpatient Hospitals by Provider")
    result = helpers.call_action("package_search", q="inpatient hospitals")
    assert [d["id"] for d in result["results"]] == [dataset["id"]]


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
def test_background_job_runs_through_redis():
    dataset = factories.HhsDataset()
    search.clear(dataset["name"])
    assert helpers.call_action("package_search", q=f"name:{dataset['name']}")["count"] == 0

    queue = "hhs-smoke-test"
    jobs.get_queue(queue).empty()
    job = jobs.enqueue(search.rebuild, [dataset["id"]], queue=queue)
    assert job.get_status() == "queued"
    jobs.Worker([queue]).work(burst=True)

    assert job.get_status() == "finished"
    assert helpers.call_action("package_search", q=f"name:{dataset['name']}")["count"] == 1


# ---------------------------------------------------------------- serving as the demo does (scripts/stack.sh)

STACK = os.path.join(os.path.dirname(__file__), "..", "..", "..", "scripts", "stack.sh")


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, dict(response.headers), response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode(errors="replace")


@pytest.fixture
def nginx_front(live_server):
    """nginx with the config `make demo` writes (scripts/stack.sh nginx-config), in front of the test app."""
    if not shutil.which("nginx"):
        pytest.skip("nginx is not installed (scripts/stack.sh install)")
    # As root nginx's workers run as www-data, which cannot enter pytest's private temporary folders.
    folder = tempfile.mkdtemp(prefix="hhs-nginx-", dir="/tmp")
    os.chmod(folder, 0o755)
    port = services.free_port()
    upstream = live_server.removeprefix("http://")
    subprocess.run(
        [STACK, "nginx-config", tk.config["__file__"], folder, f"127.0.0.1:{port}", upstream],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    conf = os.path.join(folder, "nginx.conf")
    check = subprocess.run(["nginx", "-t", "-c", conf, "-p", folder, "-e", f"{folder}/nginx-error.log"],
                           check=False, capture_output=True, text=True)  # fmt: skip
    assert check.returncode == 0, check.stderr
    process = subprocess.Popen(["nginx", "-c", conf, "-p", folder, "-e", f"{folder}/nginx-error.log"])
    try:
        deadline = time.monotonic() + 20
        while not services._port_open(port):
            assert time.monotonic() < deadline and process.poll() is None, "nginx did not start"
            time.sleep(0.1)
        with open(conf) as f:
            yield {"url": f"http://127.0.0.1:{port}", "conf": f.read()}
    finally:
        process.terminate()
        process.wait(20)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
def test_nginx_caches_anonymous_pages_and_never_a_signed_in_one(nginx_front):
    url = nginx_front["url"]
    user = ckan_factories.User()
    token = ckan_factories.APIToken(user=user["name"])["token"]
    # Static files come from CKAN's folders, never from the source folder CKAN's empty default adds.
    assert "ckanext/hhs/public$uri" in nginx_front["conf"] and "config/middleware" not in nginx_front["conf"]
    status, headers, _ = _get(f"{url}/base/images/ckan-logo.png")
    assert status == 200 and "X-Cache-Status" not in headers  # from disk, CKAN not asked

    first = _get(f"{url}/dataset/")
    second = _get(f"{url}/dataset/")
    assert (first[0], first[1]["X-Cache-Status"], second[1]["X-Cache-Status"]) == (200, "MISS", "HIT")
    assert "Set-Cookie" not in first[1]

    # Signed in (an API token, or the session / remember-me cookie): fresh from CKAN, never stored.
    status, headers, body = _get(f"{url}/dataset/", {"Authorization": token})
    assert (status, headers["X-Cache-Status"]) == (200, "BYPASS") and user["name"] in body
    for cookie in ("ckan=x", "remember_token=x"):
        assert _get(f"{url}/dataset/", {"Cookie": cookie})[1]["X-Cache-Status"] == "BYPASS"
    status, headers, body = _get(f"{url}/dataset/")
    assert headers["X-Cache-Status"] == "HIT" and user["name"] not in body

    # A response that sets a cookie (the login form's CSRF session) is never stored.
    for _ in range(2):
        status, headers, _ = _get(f"{url}/user/login")
        assert status == 200 and "Set-Cookie" in headers and headers["X-Cache-Status"] == "MISS"


@pytest.mark.usefixtures("with_plugins", "clean_db")
def test_anonymous_pages_start_no_session_and_signed_in_ones_keep_the_csrf_token(app):
    # CKAN's base template made a CSRF token, hence a session cookie, on every page: nothing cacheable.
    response = app.test_client(use_cookies=False).get("/dataset/")
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    assert 'name="_csrf_token"' not in response.get_data(as_text=True)
    user = ckan_factories.User()
    token = ckan_factories.APIToken(user=user["name"])["token"]
    body = app.get("/dataset/", headers={"Authorization": token}).body
    assert '<meta name="_csrf_token" content="' in body


def test_supervisor_starts_a_killed_process_again(tmp_path):
    env = {**os.environ, "HHS_VAR": str(tmp_path)}
    run = tmp_path / "run"
    supervisor = subprocess.Popen([STACK, "_supervise", "sleeper", "sleep", "300"], env=env, start_new_session=True)

    def child(other_than: str = "") -> str:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            pid = (run / "sleeper.child").read_text().strip() if (run / "sleeper.child").exists() else ""
            if pid and pid != other_than:
                return pid
            time.sleep(0.1)
        raise AssertionError("the supervisor started no process")

    try:
        first = child()
        os.kill(int(first), signal.SIGKILL)
        second = child(other_than=first)
        os.kill(int(second), 0)  # running
        assert (run / "sleeper.restarts").read_text().strip() == "1"
    finally:
        os.killpg(supervisor.pid, signal.SIGTERM)
        supervisor.wait(20)
    with pytest.raises(ProcessLookupError):
        os.kill(int(second), 0)
