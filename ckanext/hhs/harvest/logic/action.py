"""Actions of the harvest feature."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan.logic import validate
from ckan.types import Context, DataDict

from .. import config, importer
from . import schema


@validate(schema.catalog_import)
def hhs_catalog_import(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Import a Project Open Data v1.1 catalog into one division, in step with its source.

    New records create datasets, changed ones update the same dataset, unchanged ones are skipped,
    records gone from the source are withdrawn; each bad record is reported and the rest go through.

    :param source: a catalog URL (http or https) or a path on the server
    :type source: string
    :param division: the division (organization) name or id the datasets belong to
    :type division: string
    :param withdraw: ``delete`` or ``keep`` (mark withdrawn) records gone from the source;
        default from ``ckanext.hhs.harvest.withdraw``
    :type withdraw: string
    :returns: lists ``created``, ``updated``, ``unchanged``, ``withdrawn`` (identifiers), ``failed``
        (``identifier``, ``path``, ``message``) and their counts in ``summary``
    :rtype: dict
    """
    tk.check_access("hhs_catalog_import", context, data_dict)
    try:
        catalog = importer.load_catalog(data_dict["source"])
    except importer.CatalogError as e:
        raise tk.ValidationError({"source": [str(e)]}) from e
    report = importer.import_catalog(
        context, catalog, data_dict["division"], data_dict["source"], data_dict.get("withdraw") or config.withdraw()
    )
    return report.as_dict()
