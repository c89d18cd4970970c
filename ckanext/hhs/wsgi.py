"""The WSGI application, for gunicorn (or any WSGI server) as CKAN's deployment docs serve it:

    CKAN_INI=/etc/ckan/ckan.ini gunicorn ckanext.hhs.wsgi:application --workers 5

`make demo` starts it this way (scripts/stack.sh).
"""

from __future__ import annotations

import os
from logging.config import fileConfig

from ckan.cli import CKANConfigLoader
from ckan.config.middleware import make_app

_INI = os.environ["CKAN_INI"]
fileConfig(_INI, disable_existing_loggers=False)
application = make_app(CKANConfigLoader(_INI).get_config())
