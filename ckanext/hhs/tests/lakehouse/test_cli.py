"""`ckan hhs seed-demo-lakehouse` and `ckan hhs lakehouse refresh --all`."""

from __future__ import annotations

import pytest

import ckan.plugins.toolkit as tk
from ckan.cli.cli import ckan as ckan_cli
from ckan.tests.helpers import CKANCliRunner

from ckanext.hhs.tests import factories

from .conftest import PLUGINS, act

pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]


_LOGGING = """
[loggers]
keys = root
[handlers]
keys = console
[formatters]
keys = generic
[logger_root]
level = WARN
handlers = console
[handler_console]
class = StreamHandler
args = (sys.stderr,)
formatter = generic
[formatter_generic]
format = %(levelname)s [%(name)s] %(message)s
"""


@pytest.fixture
def cli_with(ckan_config, tmp_path):
    """A CLI runner whose ini (the CLI reads its config anew) adds the given lakehouse options."""

    def runner(**options: str) -> CKANCliRunner:
        ini = tmp_path / "lakehouse.ini"
        lines = [f"ckanext.hhs.lakehouse.{k} = {v}" for k, v in options.items()]
        ini.write_text(
            f"[app:main]\nuse = config:{ckan_config['__file__']}\nckan.plugins = {PLUGINS}\n"
            + "\n".join(lines)
            + "\n"
            + _LOGGING
        )
        return CKANCliRunner(env={"CKAN_INI": str(ini)})

    return runner


def test_seed_demo_and_refresh_all(cli_with, lake, monkeypatch, people):
    monkeypatch.setitem(tk.config, "ckanext.hhs.lakehouse.demo_root", str(lake))
    cli = cli_with(allowed_roots=str(lake), demo_root=str(lake))
    first = cli.invoke(ckan_cli, ["hhs", "seed-demo-lakehouse"])
    assert first.exit_code == 0, first.output
    assert first.output.count("created (") == 3 and "mapped to State FIPS code" in first.output
    # The CMS Delta table links to the CDC Iceberg and Delta tables on the state FIPS code.
    tables = act("hhs_lakehouse_table_list", "analyst")["results"]
    assert sorted(t["table_format"] for t in tables) == ["delta", "delta", "iceberg"]
    cms = next(t for t in tables if t["sql_name"].startswith("cms_"))
    keys = act("hhs_lakehouse_join_keys", "analyst", id=cms["resource_id"])
    assert sorted(link["dataset"]["name"] for link in keys[0]["links"]) == [
        "cdc-chronic-disease-indicators-by-state-lakehouse",
        "cdc-flu-vaccination-coverage-by-state-lakehouse",
    ]
    result = act(
        "hhs_lakehouse_query",
        "analyst",
        sql=f"select count(*) from {cms['sql_name']} e join {keys[0]['links'][0]['sql_name']} c "
        f"on e.state_fips = c.{keys[0]['links'][0]['column']} and e.year = 2024",
    )
    assert result["rows"][0][0] > 0
    again = cli.invoke(ckan_cli, ["hhs", "seed-demo-lakehouse"])
    assert again.exit_code == 0 and "created" not in again.output, again.output
    refreshed = cli.invoke(ckan_cli, ["hhs", "lakehouse", "refresh", "--all"])
    assert refreshed.exit_code == 0, refreshed.output
    assert "3 refreshed, 0 failed" in refreshed.output


def test_seed_skips_outside_the_allowed_roots(cli_with, lake):
    factories.Division(name="cms")
    factories.Division(name="cdc", bureau_code="009:20")
    cli = cli_with(allowed_roots=str(lake), demo_root=str(lake.parent / "outside"))
    result = cli.invoke(ckan_cli, ["hhs", "seed-demo-lakehouse"])
    assert result.exit_code == 0 and "Lakehouse demo skipped" in result.output


def test_refresh_reports_failures(cli, lake, people):
    result = cli.invoke(ckan_cli, ["hhs", "lakehouse", "refresh"])
    assert result.exit_code != 0 and "--all" in result.output
