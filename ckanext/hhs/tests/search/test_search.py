"""Search by meaning: the Solr schema change, vectors kept and indexed, hybrid package_search that keeps
CKAN's permissions, filters and facets, and the glossary's synonyms in search."""

from __future__ import annotations

import logging
import os
import shutil

import pytest

import ckan
import ckan.plugins.toolkit as tk
from ckan.cli.cli import ckan as ckan_cli
from ckan.lib.redis import connect_to_redis
from ckan.lib.search.common import SearchError
from ckan.tests import factories as ckan_factories
from ckan.tests import helpers

from ckanext.hhs.search import jobs, query, solr, vectors
from ckanext.hhs.tests import factories
from ckanext.hhs.tests.helpers import act, governance_board

PLUGINS = (
    "hhs hhs_catalog hhs_harvest hhs_glossary hhs_marketplace hhs_lakehouse hhs_governance hhs_search "
    "scheming_datasets scheming_organizations dcat dcat_rdf_harvester structured_data harvest"
)
CKAN_SCHEMA = os.path.join(os.path.dirname(ckan.__file__), "config", "solr", "schema.xml")

AMI = "Acute myocardial infarction 30-day mortality"
CHIP = "CHIP enrollment by state"
OPIOID = "Opioid-related poisoning emergency department visits"
PRICES = "Hospital price transparency enforcement"


@pytest.fixture
def search_state():
    """This site's queued texts and cached terms gone, the schema asked again."""
    redis = connect_to_redis()
    for key in redis.scan_iter(f"hhs_search:{tk.config['ckan.site_id']}:*"):
        redis.delete(key)
    solr.forget()
    vectors.forget_table()
    yield
    solr.forget()
    vectors.forget_table()


def search(user: str | None = None, **params):
    return helpers.call_action("package_search", context={"user": user or "", "ignore_auth": False}, **params)


def titles(result) -> list[str]:
    return [r["title"] for r in result["results"]]


@pytest.fixture
def catalog():
    """Four public datasets of one division, with their vectors indexed; and a private one of another."""
    cms = factories.Division(name="cms")
    datasets = {
        AMI: "Deaths within 30 days of a hospital admission for acute myocardial infarction, by hospital.",
        CHIP: "Children's Health Insurance Program enrollment counts, by state and month.",
        OPIOID: "Emergency department visits for poisoning by opioids, by county.",
        PRICES: "Hospitals found not to publish machine-readable standard charges, and the outcomes.",
    }
    made = {
        title: factories.HhsDataset(title=title, notes=notes, owner_org=cms["id"]) for title, notes in datasets.items()
    }
    cdc = factories.Division(name="cdc", acronym="CDC", bureau_code="009:20")
    made["private"] = factories.HhsDataset(
        title="Heart attack deaths among veterans (restricted)",
        notes="Mortality after heart attacks.",
        owner_org=cdc["id"],
        private=True,
    )
    jobs.embed_pending()
    return made


@pytest.mark.ckan_config("ckan.plugins", PLUGINS)
@pytest.mark.ckan_config("ckanext.hhs.search.enabled", "true")
@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index", "search_state")
class TestVectors:
    def test_the_index_hook_queues_the_text_and_the_job_stores_and_indexes_the_vector(self):
        dataset = factories.HhsDataset(title="Medicare deaths", notes="Beneficiaries who died, by state.")
        pending = connect_to_redis().hgetall(vectors.key("pending"))
        assert pending[dataset["id"].encode()].decode().startswith("Medicare deaths\nBeneficiaries who died")
        assert connect_to_redis().get(vectors.key("queued"))

        assert jobs.embed_pending() == 1
        row = vectors.stored(dataset["id"])
        assert row.text_hash == vectors.digest(pending[dataset["id"].encode()].decode())
        assert len(vectors.to_list(row.vector)) == 384
        # Indexed again with its vector: the knn query finds it, and nothing is pending any more.
        assert not connect_to_redis().exists(vectors.key("pending"))
        assert search(q="people who passed away")["results"][0]["id"] == dataset["id"]

    def test_an_unchanged_text_is_not_embedded_again_and_a_changed_one_is(self):
        dataset = factories.HhsDataset(title="Medicare deaths")
        jobs.embed_pending()
        before = vectors.stored(dataset["id"]).modified
        helpers.call_action("package_patch", id=dataset["id"], version="2")  # not in the text
        assert jobs.embed_pending() == 0
        helpers.call_action("package_patch", id=dataset["id"], title="Medicare enrollee deaths")
        assert jobs.embed_pending() == 1
        assert vectors.stored(dataset["id"]).modified > before

    def test_rebuild_fills_vectors_for_an_existing_index(self, cli):
        with pytest.MonkeyPatch.context() as mp:
            mp.setitem(tk.config, "ckanext.hhs.search.enabled", False)
            dataset = factories.HhsDataset(title="Medicare deaths")
        assert vectors.stored(dataset["id"]) is None
        result = cli.invoke(ckan_cli, ["hhs", "search", "rebuild"])
        assert result.exit_code == 0, result.output
        assert "1 datasets embedded" in result.output
        assert vectors.stored(dataset["id"]) is not None

    def test_the_rebuild_action_is_for_sysadmins(self):
        with pytest.raises(tk.NotAuthorized):
            helpers.call_action(
                "hhs_search_rebuild", context={"user": ckan_factories.User()["name"], "ignore_auth": False}
            )


@pytest.mark.ckan_config("ckan.plugins", PLUGINS)
@pytest.mark.ckan_config("ckanext.hhs.search.enabled", "true")
@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index", "search_state")
class TestHybrid:
    def test_a_question_with_no_matching_word_finds_what_it_means(self, catalog):
        with pytest.MonkeyPatch.context() as mp:
            mp.setitem(tk.config, "ckanext.hhs.search.enabled", False)
            assert search(q="heart attack deaths")["count"] == 0  # CKAN's keyword search
        assert titles(search(q="heart attack deaths"))[0] == AMI
        assert titles(search(q="kids health insurance"))[0] == CHIP
        assert titles(search(q="drug overdoses"))[0] == OPIOID

    def test_an_exact_title_ranks_first(self, catalog):
        assert titles(search(q=PRICES))[0] == PRICES
        assert titles(search(q="CHIP enrollment"))[0] == CHIP

    def test_a_private_dataset_of_another_division_never_shows(self, catalog):
        outsider = ckan_factories.User()["name"]
        for user in (None, outsider):
            result = search(user, q="heart attack deaths", **{"facet.field": '["organization"]'})
            assert "Heart attack deaths among veterans (restricted)" not in titles(result)
            assert result["count"] == len(result["results"])
            assert "cdc" not in result["facets"].get("organization", {})
        member = ckan_factories.User()["name"]
        helpers.call_action(
            "organization_member_create", id=catalog["private"]["owner_org"], username=member, role="member"
        )
        found = search(member, q="heart attack deaths", include_private=True)
        assert "Heart attack deaths among veterans (restricted)" in titles(found)

    @pytest.mark.ckan_config("ckanext.hhs.search.top_k", "1")
    def test_private_datasets_the_searcher_cannot_open_do_not_crowd_out_the_nearest(self, app, catalog):
        # The private CDC dataset is the nearest to the question; a signed-in outsider's search
        # (include_private, as the search page asks) takes its nearest among what they may see.
        import flask_login

        import ckan.model as model

        outsider = model.User.get(ckan_factories.User()["name"])
        vector = vectors.query_vector("heart attack deaths among veterans")
        with app.flask_app.test_request_context():
            flask_login.login_user(outsider)
            near = [pid for pid, _sim in query.nearest(vector, {"include_private": True})]
        assert len(near) == 1 and near[0] != catalog["private"]["id"]
        assert near[0] in {d["id"] for title, d in catalog.items() if title != "private"}

    def test_filters_sort_and_paging_still_apply(self, catalog):
        assert search(q="heart attack deaths", fq="organization:cdc")["count"] == 0
        everything = search(q="hospital deaths", rows=100)
        assert [r["id"] for r in search(q="hospital deaths", rows=2, start=1)["results"]] == [
            r["id"] for r in everything["results"][1:3]
        ]
        by_title = titles(search(q="hospital deaths", sort="title_string asc", rows=100))
        assert by_title == sorted(by_title, key=str.lower) or by_title == sorted(by_title)

    def test_a_filter_with_local_params_reaches_solr_only_through_ckans_checks(self, catalog):
        with pytest.raises(SearchError):
            search(q="heart attack deaths", fq="{!join from=id to=id}id:*")
        with pytest.raises(SearchError):
            search(q="heart attack deaths", fq="_query_:{!knn f=hhs_vector topK=5}[0.1]")
        # The nearest-by-meaning query, sent to Solr directly, leaves such a filter out (a filter that
        # would drop every dataset drops none), and keeps the others.
        vector = vectors.query_vector("heart attack deaths")
        assert query.nearest(vector, {"fq": "{!frange l=2}1"})
        assert query.nearest(vector, {"fq": "+organization:cdc"}) == []

    def test_the_api_and_the_search_page_search_by_meaning(self, app, catalog):
        body = app.get("/api/3/action/package_search", query_string={"q": "heart attack deaths"}).json
        assert body["result"]["results"][0]["title"] == AMI
        page = app.get("/dataset/", query_string={"q": "heart attack deaths"}).body
        assert AMI in page
        assert "veterans" not in page

    def test_without_the_vector_field_search_is_keyword_only_and_says_so(self, catalog, caplog):
        with pytest.MonkeyPatch.context() as mp:
            mp.setitem(tk.config, "ckanext.hhs.search.vector_field", "hhs_no_such_field")
            mp.setattr(solr.log, "disabled", False)  # CKAN's logging set-up disables loggers made before it
            with caplog.at_level(logging.WARNING, logger="ckanext.hhs.search.solr"):
                assert search(q="heart attack deaths")["count"] == 0
                assert titles(search(q=PRICES))[0] == PRICES
            assert "no field 'hhs_no_such_field'" in caplog.text
            # Indexing still works without the field: no vector goes into the document.
            factories.HhsDataset(title="Indexed without a vector field")
            assert search(q="Indexed without a vector field")["count"] == 1

    def test_fielded_and_syntax_queries_stay_ckans(self, catalog):
        assert titles(search(q=f'title:"{PRICES}"')) == [PRICES]
        assert search(q="heart) attack (deaths")["results"][0]["title"] == AMI  # no Solr syntax error


@pytest.mark.ckan_config("ckan.plugins", PLUGINS)
@pytest.mark.ckan_config("ckanext.hhs.search.enabled", "true")
@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index", "search_state")
class TestGlossary:
    @pytest.fixture
    def term(self, glossary_term):
        return glossary_term

    def test_a_synonym_finds_datasets_of_the_term_and_the_result_says_which_term(self, app, term):
        linked = factories.HhsDataset(title="Part A claims", notes="Inpatient claims.", glossary_terms=[term["slug"]])
        named = factories.HhsDataset(title="Medicare beneficiary summary file", notes="Demographics.")
        jobs.embed_pending()
        result = search(q="enrollee")
        assert {linked["id"], named["id"]} <= {r["id"] for r in result["results"]}
        assert result["hhs_expanded_terms"] == [
            {"label": "Medicare beneficiary", "slug": "medicare-beneficiary", "matched": "enrollee"}
        ]
        assert tk.h.hhs_search_expanded_terms("enrollee")[0]["label"] == "Medicare beneficiary"
        assert "hhs_expanded_terms" not in search(q="claims")
        with app.flask_app.test_request_context():
            html = tk.render_snippet("hhs_search/snippets/expanded_terms.html", {"q": "enrollee <b>"})
        assert "Showing results for" in html
        assert 'href="/glossary/medicare-beneficiary">Medicare beneficiary</a>, which includes &lsquo;enrollee' in html

    def test_the_glossary_term_name_is_part_of_the_dataset_text(self, term):
        dataset = factories.HhsDataset(title="Part A claims", glossary_terms=[term["slug"]])
        assert "Medicare beneficiary" in connect_to_redis().hget(vectors.key("pending"), dataset["id"]).decode()


@pytest.mark.ckan_config("ckan.plugins", PLUGINS)
@pytest.mark.ckan_config("ckanext.hhs.search.enabled", "true")
@pytest.mark.usefixtures("with_plugins")
class TestSchema:
    def test_the_vector_field_is_added_once(self, cli, tmp_path):
        path = tmp_path / "schema.xml"
        shutil.copy(CKAN_SCHEMA, path)
        for expected in ("added the field 'hhs_vector'", "the vector field is there already"):
            result = cli.invoke(ckan_cli, ["hhs", "search", "solr-schema", str(path)])
            assert result.exit_code == 0, result.output
            assert expected in result.output
        text = path.read_text()
        assert text.count('class="solr.DenseVectorField" vectorDimension="384" similarityFunction="cosine"') == 1
        assert text.count('<field name="hhs_vector" type="hhs_knn_vector"') == 1
        assert text.index("hhs_knn_vector") < text.index("</types>")

    def test_a_file_that_is_no_schema_is_refused(self, cli, tmp_path):
        path = tmp_path / "schema.xml"
        path.write_text("<schema/>")
        result = cli.invoke(ckan_cli, ["hhs", "search", "solr-schema", str(path)])
        assert result.exit_code != 0
        assert "has no </types>" in result.output


def suggest(user: str | None = None, **params):
    return helpers.call_action("hhs_search_suggest", context={"user": user or "", "ignore_auth": False}, **params)


@pytest.fixture
def glossary_term():
    """An approved term "Medicare beneficiary" (synonym "enrollee")."""
    for name in ("proposer", "reviewer"):
        ckan_factories.User(name=name)
    governance_board("reviewer")
    act(
        "hhs_glossary_term_create",
        "proposer",
        label="Medicare beneficiary",
        slug="medicare-beneficiary",
        definition="A person who has health insurance coverage through the Medicare program.",
        synonyms=["enrollee"],
    )
    act("hhs_glossary_term_propose", "proposer", id="medicare-beneficiary")
    return act("hhs_glossary_term_approve", "reviewer", id="medicare-beneficiary", message="ok")


@pytest.mark.ckan_config("ckan.plugins", PLUGINS)
@pytest.mark.ckan_config("ckanext.hhs.search.enabled", "true")
@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index", "search_state")
class TestSuggestions:
    def test_a_misspelt_question_gets_the_catalogs_own_spelling(self, catalog):
        found = suggest(q="hospitl price transparancy")
        assert found["suggestion"] == "hospital price transparency"
        assert found["suggestion_count"] >= 1
        assert suggest(q="Opiod  poisoning, by county!")["suggestion"] == "opioid  poisoning, by county!"
        # Words the catalog knows (plurals too: Solr stems them) are not corrected.
        assert suggest(q="hospitals prices")["suggestion"] is None

    def test_a_private_datasets_words_are_never_offered_to_whoever_may_not_see_it(self, app, catalog):
        # "veterans" and "restricted" are only in the private CDC dataset's title.
        outsider = ckan_factories.User()["name"]
        for user in (None, outsider):
            found = suggest(user, q="veteranz restrictd")
            assert found["datasets"]
            assert found["suggestion"] is None
            assert "veterans" not in str(found).lower()
            assert catalog["private"]["id"] not in [d["id"] for d in found["datasets"]]
        page = app.get("/dataset/", query_string={"q": "veteranz restrictd"}).body
        assert "veterans" not in page.lower()
        assert "Closest in meaning" in page  # the public datasets nearest in meaning are offered instead
        member = ckan_factories.User()["name"]
        helpers.call_action(
            "organization_member_create", id=catalog["private"]["owner_org"], username=member, role="member"
        )
        found = suggest(member, q="veteranz restrictd")
        assert found["suggestion"] == "veterans restricted"
        assert found["suggestion_count"] == 1
        assert catalog["private"]["id"] in [d["id"] for d in found["datasets"]]

    def test_the_nearest_datasets_by_meaning_however_near(self, catalog):
        found = suggest(q="quantum chromodynamics lattice", rows=2)
        assert len(found["datasets"]) == 2
        assert all(-1 <= d["similarity"] <= 1 for d in found["datasets"])
        assert [d["similarity"] for d in found["datasets"]] == sorted(
            (d["similarity"] for d in found["datasets"]), reverse=True
        )

    def test_glossary_names_correct_a_question_and_the_term_is_offered(self, glossary_term):
        linked = factories.HhsDataset(
            title="Part A claims", notes="Inpatient claims.", glossary_terms=["medicare-beneficiary"]
        )
        jobs.embed_pending()
        found = suggest(q="enrolee")
        assert found["suggestion"] == "enrollee"
        assert {"slug": "medicare-beneficiary", "label": "Medicare beneficiary"} in found["terms"]
        assert linked["id"] in [d["id"] for d in found["datasets"]]

    def test_a_question_is_required(self, app):
        with pytest.raises(tk.ValidationError) as error:
            suggest(q="")
        assert "q" in error.value.error_dict
        body = app.get("/api/3/action/hhs_search_suggest", status=409).json
        assert body["error"]["q"] == ["Missing value"]

    def test_the_search_page_helps_when_nothing_is_found_and_escapes(self, app, catalog):
        page = app.get("/dataset/", query_string={"q": "hospitl <b>enforcment</b>"}).body
        assert "Did you mean" in page
        assert "<strong>hospital &lt;b&gt;enforcement&lt;/b&gt;</strong>" in page
        assert "<b>enforcment" not in page
        # Nothing at all: the datasets nearest in meaning and a way to ask for the data.
        page = app.get("/dataset/", query_string={"q": "zzqx"}).body
        assert "Closest in meaning" in page
        assert "/marketplace/needs#post-need" in page
        # Enough results: no help.
        assert "Search suggestions" not in app.get("/dataset/", query_string={"q": "hospital"}).body

    def test_off_no_help_and_no_words_indexed(self, app):
        with pytest.MonkeyPatch.context() as mp:
            mp.setitem(tk.config, "ckanext.hhs.search.enabled", False)
            factories.HhsDataset(title="Hospital deaths")
            assert "Search suggestions" not in app.get("/dataset/", query_string={"q": "hospitl"}).body
            assert search(fq="vocab_hhs_search_words:hospital")["count"] == 0
        factories.HhsDataset(title="Hospital admissions")
        assert search(fq="vocab_hhs_search_words:hospital")["count"] == 1


@pytest.mark.ckan_config("ckan.plugins", PLUGINS)
@pytest.mark.ckan_config("ckanext.hhs.search.enabled", "true")
@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index", "search_state")
class TestFacets:
    def test_glossary_term_facets_show_term_names(self, app, glossary_term):
        factories.HhsDataset(title="Part A claims", glossary_terms=["medicare-beneficiary"])
        result = search(**{"facet.field": '["vocab_glossary_terms"]'})
        assert result["search_facets"]["vocab_glossary_terms"]["items"] == [
            {"name": "medicare-beneficiary", "display_name": "Medicare beneficiary", "count": 1}
        ]
        page = app.get("/dataset/").body
        assert '<span class="item-label">Medicare beneficiary</span>' in page
