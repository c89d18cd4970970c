"""The glossary as SKOS (rdflib): export to Turtle / JSON-LD, and parsing SKOS into import rows."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rdflib import OWL, RDF, SKOS, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS

import ckan.plugins.toolkit as tk

FORMATS = {"ttl": ("turtle", "text/turtle"), "jsonld": ("json-ld", "application/ld+json")}
# Code systems whose codes have a canonical URI; other codes are written as urn:hhs:code:<system>:<code>.
CODE_URIS = {
    "LOINC": "https://loinc.org/{code}",
    "SNOMED CT": "http://snomed.info/id/{code}",
    "ICD-10-CM": "http://hl7.org/fhir/sid/icd-10-cm/{code}",
    "RxNorm": "http://purl.bioontology.org/ontology/RXNORM/{code}",
}
HHSG = Namespace("https://www.hhs.gov/ns/glossary#")


def scheme_uri() -> URIRef:
    return URIRef(tk.url_for("hhs_glossary.index", _external=True))


def term_uri(slug: str) -> URIRef:
    return URIRef(tk.url_for("hhs_glossary.read", slug=slug, _external=True))


def code_uri(system: str, code: str) -> URIRef:
    pattern = CODE_URIS.get(system)
    return URIRef(pattern.format(code=code) if pattern else f"urn:hhs:code:{system.replace(' ', '_')}:{code}")


def graph(terms: Iterable[dict[str, Any]]) -> Graph:
    """SKOS for term dicts as `hhs_glossary_term_show` returns them."""
    g = Graph()
    g.bind("skos", SKOS)
    g.bind("dct", DCTERMS)
    scheme = scheme_uri()
    g.add((scheme, RDF.type, SKOS.ConceptScheme))
    g.add((scheme, DCTERMS.title, Literal("HHS glossary of common data terms", lang="en")))
    for t in terms:
        ref = term_uri(t["slug"])
        g.add((ref, RDF.type, SKOS.Concept))
        g.add((ref, SKOS.inScheme, scheme))
        g.add((ref, SKOS.prefLabel, Literal(t["label"], lang="en")))
        g.add((ref, SKOS.notation, Literal(t["slug"])))
        for name in [*t["synonyms"], *([t["abbreviation"]] if t["abbreviation"] else [])]:
            g.add((ref, SKOS.altLabel, Literal(name, lang="en")))
        if t["definition"]:
            g.add((ref, SKOS.definition, Literal(t["definition"], lang="en")))
        if t["explanation"]:
            g.add((ref, SKOS.scopeNote, Literal(t["explanation"], lang="en")))
        if t["example"]:
            g.add((ref, SKOS.example, Literal(t["example"], lang="en")))
        if t["parent"]:
            g.add((ref, SKOS.broader, term_uri(t["parent"]["slug"])))
        else:
            g.add((ref, SKOS.topConceptOf, scheme))
        for child in t.get("narrower", []):
            g.add((ref, SKOS.narrower, term_uri(child["slug"])))
        for rel in t.get("related", []):
            g.add((ref, SKOS.related, term_uri(rel["slug"])))
        for match in t["exact_matches"]:
            g.add((ref, SKOS.exactMatch, code_uri(match["system"], match["code"])))
        for reference in t["references"]:
            g.add(
                (ref, DCTERMS.source, URIRef(reference["url"]) if reference.get("url") else Literal(reference["name"]))
            )
        g.add((ref, HHSG.status, Literal(t["status"])))
        if t["status"] == "deprecated":
            g.add((ref, OWL.deprecated, Literal(True)))
            if t["replaced_by"]:
                g.add((ref, DCTERMS.isReplacedBy, term_uri(t["replaced_by"]["slug"])))
    return g


def rows(data: str, fmt: str) -> list[dict[str, Any]]:
    """Import rows (the CSV layout, see csv_io) from SKOS Turtle or JSON-LD."""
    g = Graph().parse(data=data, format=FORMATS[fmt][0])
    out = []
    for concept in sorted(set(g.subjects(RDF.type, SKOS.Concept)), key=str):
        label = g.value(concept, SKOS.prefLabel)
        if label is None:
            raise ValueError(f"{concept}: skos:prefLabel is missing")
        slug = str(g.value(concept, SKOS.notation) or str(concept).rstrip("/").rsplit("/", 1)[-1])
        broader = g.value(concept, SKOS.broader)
        status = g.value(concept, HHSG.status)
        out.append(
            {
                "name": slug,
                "displayName": str(label),
                "description": str(g.value(concept, SKOS.definition) or ""),
                "explanation": str(g.value(concept, SKOS.scopeNote) or ""),
                "example": str(g.value(concept, SKOS.example) or ""),
                "synonyms": sorted(str(a) for a in g.objects(concept, SKOS.altLabel)),
                "parent": _slug(g, broader) if broader else "",
                "relatedTerms": sorted(_slug(g, r) for r in g.objects(concept, SKOS.related)),
                "references": [
                    {"name": str(s), "url": str(s)} if isinstance(s, URIRef) else {"name": str(s)}
                    for s in g.objects(concept, DCTERMS.source)
                ],
                "status": str(status) if status else "approved",
            }
        )
    return out


def _slug(g: Graph, ref: Any) -> str:
    notation = g.value(ref, SKOS.notation)
    return str(notation) if notation else str(ref).rstrip("/").rsplit("/", 1)[-1]
