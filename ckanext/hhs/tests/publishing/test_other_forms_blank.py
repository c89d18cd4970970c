"""The other forms of the hub submitted empty (#24 item 1): a data product, a licence, a data need and a
governance gap each answer with the form again and its field errors, never HTTP 500."""

from __future__ import annotations

import re

import pytest

from ckan.tests import factories as ckan_factories

from ckanext.hhs.tests import factories
from ckanext.hhs.tests.publishing.forms import logged_in

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("/data-product/new", "The form contains invalid entries"),
        ("/marketplace/licences/new", "Missing value"),
        ("/marketplace/needs", "Missing value"),
        ("/governance/gaps/new", "Missing value"),
    ],
)
def test_an_empty_form_answers_with_field_errors(app, url, error):
    factories.Division(name="cms")
    client = logged_in(app, ckan_factories.Sysadmin())
    page = client.get(url)
    assert page.status_code == 200, url
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    response = client.post(url, data={"_csrf_token": token})
    assert response.status_code == 200, (url, response.status_code)
    assert error in response.get_data(as_text=True), url
