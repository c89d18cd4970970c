"""The probe's findings on imports and harvests, each through the action API, the job or the harvest path."""

from __future__ import annotations

import json
import time

import pytest
import sqlalchemy as sa

import ckan.lib.jobs as ckan_jobs
import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.dcat.harvesters.rdf import DCATRDFHarvester
from ckanext.harvest.model import HarvestJob, HarvestObject
from ckanext.harvest.tests.lib import run_harvest_job
from ckanext.hhs.harvest import jobs
from ckanext.hhs.harvest.plugin import HhsHarvestPlugin
from ckanext.hhs.tests import factories
from ckanext.hhs.tests.helpers import act, cms_demo_catalog

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")


@pytest.fixture
def cms_catalog():
    return cms_demo_catalog(3)


@pytest.fixture
def staff():
    """CMS with an admin and an editor, and an outsider."""
    users = {k: ckan_factories.User(name=k) for k in ("cms_admin", "cms_editor", "outsider")}
    cms = factories.Division(
        name="cms",
        users=[{"name": "cms_admin", "capacity": "admin"}, {"name": "cms_editor", "capacity": "editor"}],
    )
    return {"cms": cms, **users}


def _sysadmin():
    return {"user": ckan_factories.Sysadmin()["name"], "ignore_auth": False}


def _run_jobs():
    ckan_jobs.Worker([ckan_jobs.DEFAULT_QUEUE_NAME]).work(burst=True)


class TestImportAction:
    def test_a_url_import_runs_as_a_background_job_with_status_for_its_caller(self, staff, catalog_server, cms_catalog):
        ckan_jobs.get_queue().empty()
        url = catalog_server.serve("/data.json", json.dumps(cms_catalog))
        queued = act("hhs_catalog_import", "cms_admin", source=url, division="cms")
        assert queued["status"] == "queued"
        assert helpers.call_action("package_search", fq="organization:cms")["count"] == 0  # nothing in the request
        _run_jobs()
        status = act("hhs_catalog_import_status", "cms_admin", id=queued["job_id"])
        assert (status["status"], status["progress"], status["total"]) == ("finished", 3, 3)
        assert status["report"]["summary"]["created"] == 3
        # Another user cannot read it, anonymous callers are refused.
        with pytest.raises(tk.ObjectNotFound):
            act("hhs_catalog_import_status", "outsider", id=queued["job_id"])
        with pytest.raises(tk.NotAuthorized):
            act("hhs_catalog_import_status", "", id=queued["job_id"])

    def test_a_failing_source_says_why_without_internal_detail(self, staff, catalog_server):
        ckan_jobs.get_queue().empty()
        queued = act("hhs_catalog_import", "cms_admin", source="http://127.0.0.1:6379/", division="cms")
        _run_jobs()
        status = act("hhs_catalog_import_status", "cms_admin", id=queued["job_id"])
        assert status["error"] == "Refusing to fetch from 127.0.0.1: it is not a public address"

    def test_group_admins_and_non_divisions_cannot_import(self, staff, catalog_server):
        url = catalog_server.serve("/data.json", "{}")
        # Any logged-in user may create a CKAN group here and be its admin: that is no division.
        ckan_factories.Group(name="my-group", users=[{"name": "outsider", "capacity": "admin"}])
        with pytest.raises(tk.NotAuthorized, match="HHS division"):
            act("hhs_catalog_import", "outsider", source=url, division="my-group")
        factories.Division(name="data-governance-board", kind="governance", bureau_code="009:90")
        with pytest.raises(tk.ValidationError, match="HHS division"):
            act("hhs_catalog_import", ckan_factories.Sysadmin()["name"], source=url, division="data-governance-board")
        with pytest.raises(tk.NotAuthorized, match="division's admins"):
            act("hhs_catalog_import", "cms_editor", source=url, division="cms")
        with pytest.raises(tk.NotAuthorized, match="server path"):
            act("hhs_catalog_import", "cms_admin", source="/etc/passwd", division="cms")
        with pytest.raises(tk.NotAuthorized):
            act("hhs_catalog_import", "", source=url, division="cms")
        assert len(ckan_jobs.get_queue()) == 0  # nothing was queued, nothing fetched

    def test_the_job_rechecks_the_right_and_never_reads_a_path_for_an_admin(self, staff, cms_catalog, tmp_path):
        path = tmp_path / "data.json"
        path.write_text(json.dumps(cms_catalog))
        assert "server path" in jobs.import_catalog("cms_admin", str(path), "cms", "delete")["error"]
        helpers.call_action("organization_member_delete", context=_sysadmin(), id="cms", username="cms_admin")
        assert "division's admins" in jobs.import_catalog("cms_admin", "http://example.com/x", "cms", "delete")["error"]


def _source(url, division, user=None, source_type="hhs_datajson"):
    context = {"user": user, "ignore_auth": False} if user else {}
    return helpers.call_action(
        "harvest_source_create",
        context=context,
        name="cms-catalog",
        title="CMS catalog",
        url=url,
        source_type=source_type,
        owner_org=division["id"],
    )


class TestHarvestSources:
    @pytest.mark.parametrize(
        "url", ["/etc/passwd", "file:///etc/passwd", "http://127.0.0.1:8983/solr/", "http://10.0.0.1/data.json"]
    )
    def test_sources_are_public_http_urls_only(self, staff, url):
        for user in ("cms_editor", ckan_factories.Sysadmin()["name"]):
            with pytest.raises(tk.ValidationError) as e:
                _source(url, staff["cms"], user)
            assert "url" in e.value.error_dict
        # The /harvest/new form saves through package_create itself.
        with pytest.raises(tk.ValidationError):
            act(
                "package_create",
                "cms_editor",
                type="harvest",
                name="x",
                url=url,
                source_type="hhs_datajson",
                owner_org=staff["cms"]["id"],
            )

    def test_a_source_cannot_be_changed_to_a_path(self, staff, catalog_server):
        source = _source(catalog_server.serve("/data.json", "{}"), staff["cms"], "cms_editor")
        with pytest.raises(tk.ValidationError) as e:
            act("harvest_source_patch", "cms_editor", id=source["id"], url="/etc/passwd")
        assert "url" in e.value.error_dict

    def test_a_path_that_reached_the_database_is_still_not_read(self, staff, catalog_server):
        source = _source(catalog_server.serve("/data.json", "{}"), staff["cms"], "cms_editor")
        # As if it was saved before the check existed.
        model.Session.execute(sa.text("UPDATE package SET url = '/etc/passwd' WHERE id = :id"), {"id": source["id"]})
        model.Session.execute(sa.text("UPDATE harvest_source SET url = '/etc/passwd'"))
        model.Session.commit()
        job = helpers.call_action("harvest_job_create", source_id=source["id"], run=False)
        run_harvest_job(HarvestJob.get(job["id"]), HhsHarvestPlugin())
        report = helpers.call_action("harvest_job_report", id=job["id"])
        assert report["gather_errors"][0]["message"] == "Only http(s) URLs can be harvested, not '/etc/passwd'"
        assert "root:" not in json.dumps(report)

    def test_what_a_run_read_is_for_the_divisions_editors(self, app, staff, catalog_server, cms_catalog):
        del cms_catalog["dataset"][0]["title"]
        url = catalog_server.serve("/data.json", json.dumps(cms_catalog))
        source = _source(url, staff["cms"], "cms_editor")
        job = helpers.call_action("harvest_job_create", source_id=source["id"], run=False)
        run_harvest_job(HarvestJob.get(job["id"]), HhsHarvestPlugin())
        obj = model.Session.query(HarvestObject).filter_by(harvest_job_id=job["id"]).first()

        shown = act("harvest_source_show", "cms_editor", id=source["id"])
        assert shown["status"]["last_job"]["object_error_summary"]
        for user in ("outsider", ""):
            status = act("harvest_source_show", user, id=source["id"])["status"]
            assert "object_error_summary" not in status["last_job"]
            assert "gather_error_summary" not in status["last_job"]
            assert "object_error_summary" not in act("harvest_source_show_status", user, id=source["id"])["last_job"]
            with pytest.raises(tk.NotAuthorized):
                act("harvest_object_show", user, id=obj.id)
        assert act("harvest_object_show", "cms_editor", id=obj.id)["id"] == obj.id
        page = app.get(f"/harvest/{source['name']}").get_data(as_text=True)
        assert "is a required property" not in page

    def test_private_and_deleted_sources_are_listed_only_to_their_division(self, staff, catalog_server):
        url = catalog_server.serve("/data.json", "{}")
        public = _source(url, staff["cms"], "cms_editor")
        hidden = helpers.call_action(
            "harvest_source_create",
            name="private-source",
            title="Private source",
            url=catalog_server.serve("/private.json", "{}"),
            source_type="hhs_datajson",
            owner_org=staff["cms"]["id"],
            private=True,
        )
        gone = helpers.call_action(
            "harvest_source_create",
            name="gone-source",
            title="Gone",
            url=catalog_server.serve("/gone.json", "{}"),
            source_type="hhs_datajson",
            owner_org=staff["cms"]["id"],
        )
        helpers.call_action("harvest_source_delete", id=gone["id"])
        assert {s["id"] for s in act("harvest_source_list", "")} == {public["id"]}
        # ckanext-harvest lists nothing to logged-in users outside its "publisher" profile; never more.
        assert {s["id"] for s in act("harvest_source_list", "outsider")} <= {public["id"]}
        everything = {s["id"] for s in helpers.call_action("harvest_source_list", context=_sysadmin())}
        assert everything >= {public["id"], hidden["id"]}


class TestDcatHarvesterGuard:
    def _run(self, source):
        job = helpers.call_action("harvest_job_create", source_id=source["id"], run=False)
        run_harvest_job(HarvestJob.get(job["id"]), DCATRDFHarvester())
        return helpers.call_action("harvest_job_report", id=job["id"])

    def test_a_redirect_to_a_refused_host_is_not_followed(self, staff, catalog_server):
        url = catalog_server.redirect("/catalog.ttl", "http://127.0.0.1:8983/solr/ckan_test/select?q=*:*")
        report = self._run(_source(url, staff["cms"], source_type="dcat_rdf"))
        [error] = report["gather_errors"]
        assert "not a public address" in error["message"]
        assert "8983" not in error["message"]

    @pytest.mark.ckan_config("ckanext.hhs.fetch_timeout", "1")
    def test_a_dripping_source_is_cut_off(self, staff, catalog_server):
        url = catalog_server.serve("/catalog.ttl", b"@prefix dcat: <http://www.w3.org/ns/dcat#> ." * 20, drip=0.2)
        started = time.monotonic()
        report = self._run(_source(url, staff["cms"], source_type="dcat_rdf"))
        assert time.monotonic() - started < 20
        assert "did not answer within 1 s" in report["gather_errors"][0]["message"]


class TestAuthoritativeFlag:
    def _board_member(self):
        """A board member who may also edit CMS's datasets (the flag is set where one may edit)."""
        user = ckan_factories.User()
        factories.Division(
            name="data-governance-board",
            kind="governance",
            bureau_code="009:90",
            users=[{"name": user["name"], "capacity": "editor"}],
        )
        helpers.call_action("organization_member_create", id="cms", username=user["name"], role="editor")
        return user["name"]

    def test_imports_neither_clear_nor_trip_over_the_boards_flag(self, staff, catalog_server, cms_catalog):
        url = catalog_server.serve("/data.json", json.dumps(cms_catalog))
        assert jobs.import_catalog("cms_admin", url, "cms", "delete")["summary"]["created"] == 3
        first = cms_catalog["dataset"][0]
        [pkg] = helpers.call_action("package_search", fq=f'identifier:"{first["identifier"]}"')["results"]
        act("package_patch", self._board_member(), id=pkg["id"], authoritative_source=True)

        first["title"] = "Changed at the source"
        catalog_server.serve("/data.json", json.dumps(cms_catalog))
        report = jobs.import_catalog("cms_admin", url, "cms", "delete")
        assert (report["updated"], report["failed"]) == ([first["identifier"]], [])
        after = helpers.call_action("package_show", id=pkg["id"])
        assert (after["title"], after["authoritative_source"]) == ("Changed at the source", True)

    def test_a_dcat_harvest_cannot_set_the_flag(self, app, staff, catalog_server):
        board = self._board_member()
        origin = factories.HhsDataset(owner_org=staff["cms"]["id"])
        act("package_patch", board, id=origin["id"], authoritative_source=True)
        turtle = app.get(f"/dataset/{origin['name']}.ttl").get_data(as_text=True)
        assert "authoritativeSource" in turtle
        cdc = factories.Division(name="cdc", bureau_code="009:20")
        url = catalog_server.serve("/catalog.ttl", turtle, content_type="text/turtle")
        source = _source(url, cdc, source_type="dcat_rdf")
        job = helpers.call_action("harvest_job_create", source_id=source["id"], run=False)
        run_harvest_job(HarvestJob.get(job["id"]), DCATRDFHarvester())
        [harvested] = helpers.call_action("package_search", fq="organization:cdc")["results"]
        assert harvested["authoritative_source"] is False

    def test_editors_keep_the_flag_by_leaving_it_out_and_cannot_change_it(self, staff):
        board = self._board_member()
        pkg = factories.HhsDataset(owner_org=staff["cms"]["id"])
        act("package_patch", board, id=pkg["id"], authoritative_source=True)
        edited = act("package_patch", "cms_editor", id=pkg["id"], title="Edited")
        assert edited["authoritative_source"] is True
        with pytest.raises(tk.ValidationError) as e:
            act("package_patch", "cms_editor", id=pkg["id"], authoritative_source=False)
        assert "Data Governance Board" in str(e.value.error_dict["authoritative_source"])
        # ignore_auth does not lift the check for a caller outside the board.
        with pytest.raises(tk.ValidationError):
            helpers.call_action(
                "package_patch",
                context={"user": "cms_editor", "ignore_auth": True},
                id=pkg["id"],
                authoritative_source=False,
            )
