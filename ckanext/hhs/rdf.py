"""An RDF profile for ckanext-dcat that adds the HHS fields to its DCAT-US 3 output.

Used after `dcat_us_3` (`ckanext.dcat.rdf.profiles = dcat_us_3 hhs`): health fields with the
HealthDCAT-AP and DPV terms ckanext-dcat's own health profile uses, POD's bureau/program codes and
access level, and the HHS governance fields. It parses the same triples back, so a dataset
serialised and parsed again keeps its values.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
from typing import Any

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import ORG, RDF, RDFS, SKOS
from rdflib.term import Node

from ckanext.dcat.profiles.base import DCAT, DCATUS, DCT, FOAF, LOCN, SCHEMA, VCARD, RDFProfile, URIRefOrLiteral
from ckanext.dcat.profiles.euro_health_dcat_ap import DPV, HEALTHDCATAP
from ckanext.dcat.utils import resource_uri

from . import dcatus3, vocab

POD = Namespace("https://project-open-data.cio.gov/v1.1/schema#")
HHS = Namespace("https://www.hhs.gov/ns/data-hub#")
_PREFIXES = {"dcat": DCAT, "dct": DCT, "pod": POD, "vcard": VCARD, "foaf": FOAF, "org": ORG, "hhs": HHS}

_LISTS = (
    ("bureau_code", POD.bureauCode),
    ("program_code", POD.programCode),
    ("coding_system", HEALTHDCATAP.hasCodingSystem),
    ("health_category", HEALTHDCATAP.healthCategory),
    ("health_theme", HEALTHDCATAP.healthTheme),
    ("population_coverage", HEALTHDCATAP.populationCoverage),
    ("legal_basis", DPV.hasLegalBasis),
    ("personal_data", DPV.hasPersonalData),
    ("glossary_terms", HHS.glossaryTerm),
)
_INTS = (
    ("number_of_records", HEALTHDCATAP.numberOfRecords),
    ("number_of_unique_individuals", HEALTHDCATAP.numberOfUniqueIndividuals),
    ("min_typical_age", HEALTHDCATAP.minTypicalAge),
    ("max_typical_age", HEALTHDCATAP.maxTypicalAge),
)
_SCALARS = (
    ("access_level", POD.accessLevel),
    ("phi_classification", HHS.phiClassification),
    ("sensitivity", HHS.fips199Sensitivity),
)


class HhsProfile(RDFProfile):
    def graph_from_dataset(self, dataset_dict: dict[str, Any], dataset_ref: URIRef) -> None:
        kept = dataset_dict.get(RECORD_FIELD)
        if isinstance(kept, str) and kept:
            # A harvested record goes back out as it came; only the hub's own fields are added.
            replace_with_record(self.g, dataset_ref, kept)
            self._hub_fields(dataset_dict, dataset_ref)
            return
        self.g.bind("healthdcatap", HEALTHDCATAP)
        self.g.bind("dpv", DPV)
        self.g.bind("pod", POD)
        self.g.bind("hhs", HHS)
        self._add_list_triples_from_dict(
            dataset_dict, dataset_ref, [(key, pred, None, URIRefOrLiteral) for key, pred in _LISTS]
        )
        for key, predicate in _INTS:
            value = dataset_dict.get(key)
            if value not in (None, ""):
                self.g.add((dataset_ref, predicate, Literal(int(value), datatype=_XSD_NONNEG)))
        self._add_triples_from_dict(dataset_dict, dataset_ref, [(k, p, None, Literal) for k, p in _SCALARS])
        self._hub_fields(dataset_dict, dataset_ref)
        self._as_in_json(dataset_dict, dataset_ref)
        conform_dataset(self.g, dataset_ref)

    def graph_from_catalog(self, catalog_dict: dict[str, Any], catalog_ref: URIRef) -> None:
        conform_catalog(self.g, catalog_ref)

    def _as_in_json(self, dataset_dict: dict[str, Any], dataset_ref: URIRef) -> None:
        """The values the DCAT-US 3.0 JSON export gives, where ckanext-dcat writes CKAN's own: the
        source's keywords (not the tags made of them), the record's dates (not the hub's creation and
        change times), and each distribution's downloadURL / accessURL as the record has them (ckanext-dcat
        writes a resource's URL as accessURL). Both exports then say the same (tests/catalog/test_jsonld_rdf.py)."""
        described = dcatus3.to_dataset(dataset_dict)
        self.g.remove((dataset_ref, DCAT.keyword, None))
        for keyword in described.get("keyword") or []:
            self.g.add((dataset_ref, DCAT.keyword, Literal(keyword)))
        for key, predicate in (("modified", DCT.modified), ("issued", DCT.issued)):
            self.g.remove((dataset_ref, predicate, None))
            if isinstance(described.get(key), str):
                self._add_date_triple(dataset_ref, predicate, described[key])
        if not dataset_dict.get(dcatus3.RECORD_FIELD):
            self._classes_and_page(described, dataset_ref)
        resources = dataset_dict.get("resources") or []
        distributions = described.get("distribution") or []
        if len(resources) != len(distributions):
            return
        for resource, distribution in zip(resources, distributions, strict=True):
            node = URIRef(resource_uri(resource))
            if (dataset_ref, DCAT.distribution, node) not in self.g:
                continue
            for key, predicate in (("downloadURL", DCAT.downloadURL), ("accessURL", DCAT.accessURL)):
                self.g.remove((node, predicate, None))
                if isinstance(distribution.get(key), str) and distribution[key]:
                    self.g.add((node, predicate, URIRef(distribution[key])))

    def _classes_and_page(self, described: dict[str, Any], dataset_ref: URIRef) -> None:
        """Themes, categories (codes, health themes) and subjects (glossary terms) as the concepts the
        JSON gives, each in its scheme, and the landing page as the JSON's Document (named by its URL,
        with its title). ckanext-dcat wrote themes as IRIs made of their text (relative: resolved
        against the server's working folder). A kept DCAT-US 3.0 record's own concepts are not given
        here (docs/catalog.md, "JSON and RDF say the same")."""
        for key, predicate in (("theme", DCAT.theme), ("category", DCT.type), ("subject", DCT.subject)):
            self.g.remove((dataset_ref, predicate, None))
            for concept in described.get(key) or []:
                if isinstance(concept, dict) and isinstance(concept.get("prefLabel"), str):
                    node = _concept(self.g, concept)
                    self.g.add((dataset_ref, predicate, node))
                    _name_by_content(self.g, node)
        page = described.get("landingPage")
        if isinstance(page, dict) and isinstance(page.get("@id"), str):
            ref = URIRef(page["@id"])
            self.g.remove((dataset_ref, DCAT.landingPage, None))
            self.g.add((dataset_ref, DCAT.landingPage, ref))
            self.g.add((ref, RDF.type, FOAF.Document))
            self.g.add((ref, DCT.title, Literal(page["title"])))

    def _hub_fields(self, dataset_dict: dict[str, Any], dataset_ref: URIRef) -> None:
        if dataset_dict.get("glossary_terms") and isinstance(dataset_dict.get(RECORD_FIELD), str):
            self._add_list_triples_from_dict(
                dataset_dict, dataset_ref, [("glossary_terms", HHS.glossaryTerm, None, URIRefOrLiteral)]
            )
        if dataset_dict.get("authoritative_source") is not None:
            self.g.add((dataset_ref, HHS.authoritativeSource, Literal(bool(dataset_dict["authoritative_source"]))))

    def parse_dataset(self, dataset_dict: dict[str, Any], dataset_ref: URIRef) -> dict[str, Any]:
        for key, predicate in _LISTS:
            values = self._object_value_list(dataset_ref, predicate)
            if values:
                dataset_dict[key] = sorted(values)
        for key, predicate in _INTS:
            value = self._object_value_int(dataset_ref, predicate)
            if value is not None:
                dataset_dict[key] = value
        for key, predicate in _SCALARS:
            value = self._object_value(dataset_ref, predicate)
            if value:
                dataset_dict[key] = value
        flag = self._object_value(dataset_ref, HHS.authoritativeSource)
        if flag:
            dataset_dict["authoritative_source"] = flag.lower() == "true"
        # The record as it came, for a harvest to keep (the harvest hooks check and map it).
        try:
            triples, repaired = record_triples(self.g, dataset_ref)
            dataset_dict[RECORD_FIELD] = serialize_record(triples)
            dataset_dict[RECORD_FIELD + "_repaired"] = repaired
        except RecordTooLarge as e:
            dataset_dict[RECORD_FIELD + "_error"] = str(e)
        return dataset_dict


_XSD_NONNEG = URIRef("http://www.w3.org/2001/XMLSchema#nonNegativeInteger")


# ---------------------------------------------------------------- DCAT-US 3.0 shapes
#
# ckanext-dcat writes what CKAN holds as it holds it: media types, formats, frequencies and
# languages as literals, identifiers that look like URLs as IRIs. The DCAT-US 3.0 SHACL shapes want
# the IRIs of the vocabularies the standard names (IANA media types, the EU frequency authority
# list, the Library of Congress ISO 639 codes) or typed nodes, and identifiers as literals.

IANA = Namespace("https://www.iana.org/assignments/media-types/")
EU_FREQUENCY = Namespace("http://publications.europa.eu/resource/authority/frequency/")
LOC_639_1 = Namespace("http://id.loc.gov/vocabulary/iso639-1/")
LOC_639_2 = Namespace("http://id.loc.gov/vocabulary/iso639-2/")
# POD's ISO 8601 repeating intervals and words -> the EU frequency list, for those Dublin Core's
# frequency vocabulary (dcatus3.dublin_core_frequency) has no term for.
FREQUENCIES = {
    "R/P10Y": "DECENNIAL",
    "R/P4Y": "QUADRENNIAL",
    "R/P3Y": "TRIENNIAL",
    "R/P2Y": "BIENNIAL",
    "R/P1Y": "ANNUAL",
    "R/P6M": "ANNUAL_2",
    "R/P4M": "ANNUAL_3",
    "R/P3M": "QUARTERLY",
    "R/P2M": "BIMONTHLY",
    "R/P1M": "MONTHLY",
    "R/P0.5M": "MONTHLY_2",
    "R/P0.33M": "MONTHLY_3",
    "R/P2W": "BIWEEKLY",
    "R/P1W": "WEEKLY",
    "R/P3.5D": "WEEKLY_2",
    "R/P0.33W": "WEEKLY_3",
    "R/P1D": "DAILY",
    "R/PT12H": "DAILY_2",
    "R/PT1H": "HOURLY",
    "R/PT1S": "CONT",
    "irregular": "IRREG",
}
_MEDIA_TYPE = re.compile(r"^[\w.+-]+/[\w.+-]+$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")
HHS_NAME = "U.S. Department of Health and Human Services"


def conform_dataset(graph: Graph, dataset_ref: Node) -> None:
    """Rewrite a hub dataset's generated triples in the forms the DCAT-US 3.0 shapes require."""
    # Distributions, and the data dictionary dcat_us_3 writes as a distribution of its own.
    nodes = [
        dataset_ref,
        *graph.objects(dataset_ref, DCAT.distribution),
        *graph.objects(dataset_ref, DCATUS.describedBy),
    ]
    for node in nodes:
        for identifier in list(graph.objects(node, DCT.identifier)):
            if isinstance(identifier, URIRef):
                graph.remove((node, DCT.identifier, identifier))
                graph.add((node, DCT.identifier, Literal(str(identifier))))
        _rewrite(graph, node, DCT.accrualPeriodicity, _frequency)
        _rewrite(graph, node, DCT.language, _language)
        _rewrite(graph, node, DCAT.mediaType, _media_type)
        _rewrite(graph, node, DCT["format"], _format)
    # The same dataset is in several documents (its own, its division's catalog, the HHS catalog);
    # a consumer merging them would see a blank publisher or format once per document, and both are
    # single-valued in the shapes. Named by what they say, they are one node in any merge.
    for publisher in list(graph.objects(dataset_ref, DCT.publisher)):
        _name_by_content(graph, publisher)
    for distribution in nodes[1:]:
        for fmt in list(graph.objects(distribution, DCT["format"])):
            _name_by_content(graph, fmt)


def _concept(graph: Graph, concept: dict[str, Any]) -> BNode:
    """A DCAT-US 3.0 JSON Concept (prefLabel, notations, inScheme with a title) as SKOS triples."""
    node = BNode()
    graph.add((node, RDF.type, SKOS.Concept))
    graph.add((node, SKOS.prefLabel, Literal(concept["prefLabel"])))
    for notation in concept.get("notation") or []:
        graph.add((node, SKOS.notation, Literal(notation)))
    scheme = concept.get("inScheme")
    if isinstance(scheme, dict) and isinstance(scheme.get("title"), str):
        scheme_node = BNode()
        graph.add((scheme_node, RDF.type, SKOS.ConceptScheme))
        graph.add((scheme_node, DCT.title, Literal(scheme["title"])))
        graph.add((node, SKOS.inScheme, scheme_node))
    return node


def _name_by_content(graph: Graph, node: Node) -> None:
    """Replace a blank node, and the blank nodes it reaches, with skolem IRIs (RDF 1.1 Concepts 3.5)
    under the site named by a hash of their description: the same description gives the same IRI."""
    if not isinstance(node, BNode):
        return
    described = Graph()
    seen, todo = {node}, [node]
    while todo:
        subject = todo.pop()
        for triple in graph.triples((subject, None, None)):
            described.add(triple)
            if isinstance(triple[2], BNode) and triple[2] not in seen:
                seen.add(triple[2])
                todo.append(triple[2])
    site = _site_url()
    for blank, label in _bnode_labels(described).items():
        iri = URIRef(f"{site}/.well-known/genid/{label}")
        for s, p, o in list(graph.triples((blank, None, None))):
            graph.remove((s, p, o))
            graph.add((iri, p, o))
        for s, p, o in list(graph.triples((None, None, blank))):
            graph.remove((s, p, o))
            graph.add((s, p, iri))


def _site_url() -> str:
    import ckan.plugins.toolkit as tk

    return (tk.config.get("ckan.site_url") or "").rstrip("/")


def _rewrite(graph: Graph, node: Node, predicate: URIRef, make: Any) -> None:
    for value in list(graph.objects(node, predicate)):
        if isinstance(value, Literal):
            graph.remove((node, predicate, value))
            graph.add((node, predicate, make(graph, str(value))))


def _labelled(graph: Graph, rdf_type: URIRef, text: str) -> BNode:
    """A value outside the vocabulary: a node of the class the shape asks for, labelled with the text."""
    node = BNode()
    graph.add((node, RDF.type, rdf_type))
    graph.add((node, RDFS.label, Literal(text)))
    return node


def _frequency(graph: Graph, text: str) -> Node:
    # The Dublin Core term where there is one: the IRI the JSON export's value reads as with the
    # standard's context. The EU list for the rest (every 10 or 4 years, hourly, twice a day).
    term = dcatus3.dublin_core_frequency(text.strip())
    if term:
        return URIRef(dcatus3.DUBLIN_CORE_FREQUENCY + term)
    code = FREQUENCIES.get(text.strip())
    return EU_FREQUENCY[code] if code else _labelled(graph, DCT.Frequency, text)


def _language(graph: Graph, text: str) -> Node:
    # A tag with a region (en-US) is its language, as the DCAT-US 3.0 JSON export gives it.
    code = text.strip().lower().split("-")[0]
    if _LANGUAGE.match(code):
        return (LOC_639_1 if len(code) == 2 else LOC_639_2)[code]
    return _labelled(graph, DCT.LinguisticSystem, text)


def _media_type(graph: Graph, text: str) -> Node:
    text = text.strip().lower()
    return IANA[text] if _MEDIA_TYPE.match(text) else _labelled(graph, DCT.MediaType, text)


def _format(graph: Graph, text: str) -> Node:
    text = text.strip()
    return IANA[text.lower()] if _MEDIA_TYPE.match(text) else _labelled(graph, DCT.MediaTypeOrExtent, text)


def conform_catalog(graph: Graph, catalog_ref: Node) -> None:
    """The catalog's own required properties (description, publisher) and its language as an IRI."""
    if graph.value(catalog_ref, DCT.description) is None:
        title = graph.value(catalog_ref, DCT.title) or "HHS Data Hub"
        graph.add((catalog_ref, DCT.description, Literal(f"{title}: the data catalog of the {HHS_NAME}.")))
    if graph.value(catalog_ref, DCT.publisher) is None:
        publisher = URIRef("https://www.hhs.gov/")
        graph.add((catalog_ref, DCT.publisher, publisher))
        graph.add((publisher, RDF.type, FOAF.Agent))
        graph.add((publisher, RDF.type, ORG.Organization))
        graph.add((publisher, FOAF.name, Literal(HHS_NAME)))
        graph.add((publisher, SKOS.prefLabel, Literal(HHS_NAME)))
    _rewrite(graph, catalog_ref, DCT.language, _language)


# ---------------------------------------------------------------- harvested records kept as they came
#
# A dataset harvested from DCAT RDF keeps its record: the triples that describe it in the source
# (`record_triples`), and the POD v1.1 record derived from them (`to_pod_record`), which is what the
# POD gate checks and /data.json gives back. Its RDF export is those triples again (graph_from_dataset).

# The field that keeps the record's own triples (canonical N-Triples, the dataset node as RECORD_NODE).
RECORD_FIELD = "rdf_record"
RECORD_NODE = URIRef("urn:x-hhs:harvested-dataset")
# A record's own triples: the dataset node's, those of blank nodes it reaches, and those of the named
# nodes that are parts of it (distributions, contact point, publisher and its parents, time and place).
_PARTS = (
    DCAT.distribution,
    DCAT.contactPoint,
    DCT.publisher,
    DCT.creator,
    ORG.subOrganizationOf,
    DCT.temporal,
    DCT.spatial,
)
MAX_RECORD_TRIPLES = 20_000
# What only the hub says of a dataset (the Board's flag, glossary links): a source's own claims of
# them are not kept, the hub's values are given instead.
HUB_ONLY = (HHS.authoritativeSource, HHS.glossaryTerm)
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class RecordTooLarge(ValueError):
    pass


def record_triples(graph: Graph, node: Node) -> tuple[Graph, list[str]]:
    """The triples that describe one dataset in `graph`, its node renamed RECORD_NODE, and where text
    that cannot be stored (NUL, lone surrogates) was replaced with U+FFFD (predicate names)."""
    out = Graph()
    repaired: list[str] = []
    seen = {node}
    todo = [node]
    while todo:
        subject = todo.pop()
        for _s, predicate, obj in graph.triples((subject, None, None)):
            if subject == node and predicate in HUB_ONLY:
                continue
            if len(out) >= MAX_RECORD_TRIPLES:
                raise RecordTooLarge(f"the record has more than {MAX_RECORD_TRIPLES} triples")
            if obj not in seen and (isinstance(obj, BNode) or (isinstance(obj, URIRef) and predicate in _PARTS)):
                seen.add(obj)
                todo.append(obj)
            fixed = _storable(obj)
            if fixed is not obj:
                repaired.append(_qname(predicate))
            out.add((RECORD_NODE if subject == node else subject, predicate, RECORD_NODE if obj == node else fixed))
    return out, repaired


def _storable(value: Node) -> Node:
    if isinstance(value, Literal) and _UNSTORABLE.search(str(value)):
        text = _UNSTORABLE.sub("\ufffd", str(value))
        return Literal(text, lang=value.language) if value.language else Literal(text, datatype=value.datatype)
    if isinstance(value, URIRef) and _UNSTORABLE.search(str(value)):
        return URIRef(_UNSTORABLE.sub("\ufffd", str(value)))
    return value


def _qname(predicate: Node) -> str:
    for prefix, namespace in _PREFIXES.items():
        if str(predicate).startswith(str(namespace)):
            return f"{prefix}:{str(predicate)[len(str(namespace)) :]}"
    return str(predicate)


def serialize_record(record: Graph) -> str:
    """Canonical N-Triples of a record: blank nodes named by a hash of what they say, lines sorted, so
    the same triples always give the same text (and hash).

    Naming by content is linear in the record's size (a full canonicalisation, rdflib.compare, is
    exponential in blank nodes that look alike: a hostile record of 20 identical blank nodes took
    seconds, 100 did not finish); the price is that blank nodes with the same description (the same
    triples, down to their own blank nodes) become one, a graph that says the same thing."""
    labels = _bnode_labels(record)
    named = Graph()
    for s, p, o in record:
        named.add((BNode(labels[s]) if isinstance(s, BNode) else s, p, BNode(labels[o]) if isinstance(o, BNode) else o))
    lines = named.serialize(format="nt").splitlines()
    return "\n".join(sorted({line for line in lines if line.strip()})) + "\n"


def _bnode_labels(graph: Graph) -> dict[Node, str]:
    """A label for each blank node from its outgoing triples, blank objects by their own labels
    (bottom up, without recursion; a cycle of blank nodes is cut where it closes)."""
    labels: dict[Node, str] = {}
    for root in {s for s in graph.subjects() if isinstance(s, BNode)} | {
        o for o in graph.objects() if isinstance(o, BNode)
    }:
        stack, on_path = [(root, False)], set()
        while stack:
            node, done = stack.pop()
            if node in labels:
                continue
            if not done:
                on_path.add(node)
                stack.append((node, True))
                stack.extend((o, False) for o in graph.objects(node) if isinstance(o, BNode) and o not in labels)
                stack = [(n, d) for n, d in stack if d or n not in on_path or n is node]
                continue
            parts = sorted(
                f"{p.n3()} {'_:' + labels[o] if o in labels else ('_:cycle' if isinstance(o, BNode) else o.n3())}"
                for p, o in graph.predicate_objects(node)
            )
            labels[node] = "b" + hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:32]
            on_path.discard(node)
    return labels


def parse_record(text: str) -> Graph:
    graph = Graph()
    graph.parse(data=text, format="nt")
    return graph


def record_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# POD v1.1 property -> predicate, for the properties POD and DCAT(-US) share (POD's JSON-LD context).
_POD_TEXT = {
    "title": (DCT.title,),
    "description": (DCT.description,),
    "modified": (DCT.modified,),
    "identifier": (DCT.identifier,),
    "accessLevel": (POD.accessLevel,),
    "license": (DCT.license,),
    "rights": (DCT.rights, DCT.accessRights),
    "accrualPeriodicity": (DCT.accrualPeriodicity,),
    "conformsTo": (DCT.conformsTo,),
    "describedBy": (POD.describedBy, DCATUS.describedBy),
    "describedByType": (POD.describedByType,),
    "isPartOf": (DCT.isPartOf,),
    "issued": (DCT.issued,),
    "landingPage": (DCAT.landingPage,),
    "primaryITInvestmentUII": (POD.primaryITInvestmentUII,),
    "systemOfRecords": (POD.systemOfRecords,),
}
_POD_LISTS = {
    "keyword": DCAT.keyword,
    "bureauCode": POD.bureauCode,
    "programCode": POD.programCode,
    "language": DCT.language,
    "references": DCT.references,
    "theme": DCAT.theme,
}
_DIST_TEXT = {
    "downloadURL": DCAT.downloadURL,
    "accessURL": DCAT.accessURL,
    "mediaType": DCAT.mediaType,
    "format": DCT["format"],
    "title": DCT.title,
    "description": DCT.description,
    "describedBy": POD.describedBy,
    "describedByType": POD.describedByType,
    "conformsTo": DCT.conformsTo,
    "modified": DCT.modified,
    "issued": DCT.issued,
}
_FREQUENCIES = {
    "annual": "R/P1Y",
    "biennial": "R/P2Y",
    "triennial": "R/P3Y",
    "semiannual": "R/P6M",
    "quarterly": "R/P3M",
    "bimonthly": "R/P2M",
    "monthly": "R/P1M",
    "semimonthly": "R/P0.5M",
    "biweekly": "R/P2W",
    "weekly": "R/P1W",
    "semiweekly": "R/P3.5D",
    "daily": "R/P1D",
    "continuous": "R/PT1S",
    "irregular": "irregular",
    "threeTimesAYear": "R/P4M",
    "threeTimesAMonth": "R/P0.33M",
    "threeTimesAWeek": "R/P0.33W",
}
# The EU frequency IRIs (the hub's own RDF gives them where Dublin Core has no term) back as POD's.
_EU_TO_POD = {code: pod for pod, code in FREQUENCIES.items()}
_IANA = "https://www.iana.org/assignments/media-types/"
_ORG_TYPES = {ORG.Organization, FOAF.Organization, FOAF.Agent}
_CONTACT_TYPES = {VCARD.Contact, VCARD.Kind, VCARD.Organization, VCARD.Individual}
_MAX_PUBLISHER_DEPTH = 10


def to_pod_record(graph: Graph, node: Node = RECORD_NODE) -> dict[str, Any]:
    """The POD v1.1 record of a harvested dataset, derived from its triples.

    Multi-valued properties are sets in RDF, so lists come out sorted; a single-valued property
    given more than once takes its first value in sorted order (English or no language first).
    Triples with no POD property stay in the RDF record only."""
    record: dict[str, Any] = {"@type": "dcat:Dataset"}
    for key, predicates in _POD_TEXT.items():
        value = _first(graph, node, predicates)
        if value is not None:
            record[key] = value
    for key, predicate in _POD_LISTS.items():
        values = sorted({_text(graph, o) for o in graph.objects(node, predicate)} - {""})
        if values:
            record[key] = values
    if "accrualPeriodicity" in record:
        tail = record["accrualPeriodicity"].rstrip("/").rsplit("/", 1)[-1]
        if record["accrualPeriodicity"].startswith("http") and tail in _FREQUENCIES:
            record["accrualPeriodicity"] = _FREQUENCIES[tail]
        elif record["accrualPeriodicity"].startswith(str(EU_FREQUENCY)) and tail in _EU_TO_POD:
            record["accrualPeriodicity"] = _EU_TO_POD[tail]
    if "language" in record:  # language URIs (id.loc.gov, lexvo) end with the code POD wants
        record["language"] = [
            v.rstrip("/").rsplit("/", 1)[-1] if v.startswith("http") else v for v in record["language"]
        ]
    quality = next(iter(sorted(graph.objects(node, POD.dataQuality))), None)
    if quality is not None:
        record["dataQuality"] = str(quality).strip().lower() in ("true", "1")
    publisher = next(iter(sorted(graph.objects(node, DCT.publisher))), None)
    if publisher is not None:
        record["publisher"] = _publisher(graph, publisher, _MAX_PUBLISHER_DEPTH)
    contact = next(iter(sorted(graph.objects(node, DCAT.contactPoint))), None)
    if contact is not None:
        record["contactPoint"] = _contact(graph, contact)
    temporal = next(iter(sorted(graph.objects(node, DCT.temporal))), None)
    if temporal is not None:
        record["temporal"] = _temporal(graph, temporal)
    spatial = next(iter(sorted(graph.objects(node, DCT.spatial))), None)
    if spatial is not None:
        record["spatial"] = _spatial(graph, spatial)
    if "identifier" not in record and isinstance(node, URIRef) and node != RECORD_NODE:
        record["identifier"] = str(node)
    distributions = [_distribution(graph, d) for d in graph.objects(node, DCAT.distribution)]
    if distributions:
        record["distribution"] = sorted(distributions, key=lambda d: json.dumps(d, sort_keys=True))
    return {k: v for k, v in record.items() if v not in ("", None)}


def _text(graph: Graph, value: Node) -> str:
    """A value as POD text: a literal's lexical form, a URI as it is, a node by its label."""
    if isinstance(value, BNode):
        label = _first(graph, value, (RDFS.label, SKOS.prefLabel, FOAF.name, RDF.value))
        return label or ""
    return str(value)


def _first(graph: Graph, node: Node, predicates: tuple[URIRef, ...]) -> str | None:
    for predicate in predicates:
        values = list(graph.objects(node, predicate))
        if values:
            english = [v for v in values if getattr(v, "language", None) in (None, "en")] or values
            return sorted(_text(graph, v) for v in english)[0]
    return None


def _publisher(graph: Graph, node: Node, depth: int) -> dict[str, Any]:
    if isinstance(node, Literal):
        return {"name": str(node)}
    out: dict[str, Any] = {}
    if _ORG_TYPES & set(graph.objects(node, RDF.type)):
        out["@type"] = "org:Organization"
    name = _first(graph, node, (FOAF.name, SKOS.prefLabel, RDFS.label, VCARD.fn))
    out["name"] = name if name is not None else (str(node) if isinstance(node, URIRef) else "")
    parent = next(iter(sorted(graph.objects(node, ORG.subOrganizationOf))), None)
    if parent is not None and depth > 0:
        out["subOrganizationOf"] = _publisher(graph, parent, depth - 1)
    return out


def _contact(graph: Graph, node: Node) -> dict[str, Any]:
    if isinstance(node, Literal):
        return {"fn": str(node)}
    out: dict[str, Any] = {}
    if _CONTACT_TYPES & set(graph.objects(node, RDF.type)):
        out["@type"] = "vcard:Contact"
    name = _first(graph, node, (VCARD.fn, FOAF.name, RDFS.label))
    if name is not None:
        out["fn"] = name
    email = _first(graph, node, (VCARD.hasEmail, FOAF.mbox))
    if email:
        out["hasEmail"] = email if email.startswith("mailto:") else f"mailto:{email}"
    return out


def _temporal(graph: Graph, node: Node) -> str:
    if not isinstance(node, BNode) and not (isinstance(node, URIRef) and (node, None, None) in graph):
        return str(node)
    start = _first(graph, node, (DCAT.startDate, SCHEMA.startDate))
    end = _first(graph, node, (DCAT.endDate, SCHEMA.endDate))
    return f"{start}/{end}" if start and end else _text(graph, node)


def _spatial(graph: Graph, node: Node) -> str:
    if not isinstance(node, BNode):
        return str(node)
    return _first(graph, node, (LOCN.geometry, DCAT.bbox, RDFS.label, SKOS.prefLabel)) or ""


def _distribution(graph: Graph, node: Node) -> dict[str, Any]:
    out: dict[str, Any] = {"@type": "dcat:Distribution"}
    for key, predicate in _DIST_TEXT.items():
        value = _first(graph, node, (predicate,))
        if value:
            out[key] = value
    temporal = next(iter(sorted(graph.objects(node, DCT.temporal))), None)
    if temporal is not None:
        out["temporal"] = _temporal(graph, temporal)
    if out.get("mediaType", "").startswith(_IANA):
        out["mediaType"] = out["mediaType"][len(_IANA) :]
    return out


SHAPES = os.path.join(vocab.DATA, "dcat-us-3", "shacl", "dcat-us_3.0_shacl_shapes.ttl")
SH = Namespace("http://www.w3.org/ns/shacl#")
RULE_SHAPE = "dcat-us-3-shape"


@functools.cache
def _shapes() -> Graph:
    return Graph().parse(SHAPES, format="turtle")


def shape_findings(text: str) -> list[dict[str, str]]:
    """The DCAT-US 3.0 SHACL violations of a harvested record's own triples (`rdf_record` text), as
    findings: a record harvested from RDF is given back as it came, so what it breaks of the shapes
    goes back to its division, like the HHS rules (README, "Two gates").

    Needs pySHACL (about half a second a CMS-sized record, once its shapes are loaded)."""
    from pyshacl import validate  # only where RDF records are checked

    graph = parse_record(text)
    _conforms, report, _text = validate(graph, shacl_graph=_shapes(), inference="none", allow_warnings=True)
    findings = []
    for result in report.subjects(SH.resultSeverity, SH.Violation):
        focus, path = report.value(result, SH.focusNode), report.value(result, SH.resultPath)
        via = next(iter(sorted(graph.predicates(RECORD_NODE, focus))), None) if focus != RECORD_NODE else None
        where = "$" if focus == RECORD_NODE else (f"$.{_qname(via)}" if via is not None else f"$ <{focus}>")
        findings.append(
            {
                "path": f"{where} ({_qname(path) if path is not None else 'node'})",
                "rule": RULE_SHAPE,
                "message": str(report.value(result, SH.resultMessage) or "does not conform to the DCAT-US 3.0 shapes"),
            }
        )
    return sorted(findings, key=lambda f: (f["path"], f["message"]))


def replace_with_record(graph: Graph, dataset_ref: Node, text: str) -> None:
    """Put a harvested record's own triples in place of those the profiles generated for it: the
    dataset's, its blank nodes' and its distributions'."""
    generated = Graph()
    seen = {dataset_ref}
    todo = [dataset_ref]
    while todo:
        subject = todo.pop()
        for triple in graph.triples((subject, None, None)):
            generated.add(triple)
            obj = triple[2]
            if obj not in seen and (isinstance(obj, BNode) or triple[1] == DCAT.distribution):
                seen.add(obj)
                todo.append(obj)
    for triple in generated:
        graph.remove(triple)
    for s, p, o in parse_record(text):
        graph.add((dataset_ref if s == RECORD_NODE else s, p, dataset_ref if o == RECORD_NODE else o))
