"""The WSGI application, for gunicorn (or any WSGI server) as CKAN's deployment docs serve it:

    CKAN_INI=/etc/ckan/ckan.ini gunicorn ckanext.hhs.wsgi:application --workers 5

Behind a reverse proxy set HHS_PROXY_HOPS to the number of proxies in front (`make demo`: 1, its
nginx): CKAN then sees the client's address and scheme from their X-Forwarded-* headers. Without it
those headers are not trusted, since any client could send them.

`python -m ckanext.hhs.wsgi` prints the folders the app serves static files from (`static <folder>`,
in the order it looks in them), then `webassets <folder>` (scripts/stack.sh writes nginx's config from them).
"""

from __future__ import annotations

import os
from logging.config import fileConfig

from werkzeug.middleware.proxy_fix import ProxyFix

from ckan.cli import CKANConfigLoader
from ckan.config.middleware import make_app
from ckan.lib.webassets_tools import get_webassets_path

_INI = os.environ["CKAN_INI"]
fileConfig(_INI, disable_existing_loggers=False)
_ckan = make_app(CKANConfigLoader(_INI).get_config())
# CKAN 2.11 splits an empty `extra_public_paths` (its default) into [""], and its multi-folder static
# handler joins that to the app's root: /flask_app.py then answered with CKAN's own source. Only real
# folders stay.
_flask = _ckan._wsgi_app
_flask.static_folder = [folder for folder in _flask._static_folder if folder]
_hops = int(os.environ.get("HHS_PROXY_HOPS") or 0)
application = ProxyFix(_ckan, x_for=_hops, x_proto=_hops, x_host=_hops) if _hops else _ckan


if __name__ == "__main__":
    for folder in _flask.static_folder:
        print("static", folder)
    print("webassets", get_webassets_path())
