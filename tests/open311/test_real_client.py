"""An existing Open311 client, unchanged, against the live server: the ``georeport``
library (PyPI) reads services, definitions and requests in JSON and in XML."""

from __future__ import annotations

import pytest
from georeport import GeoReport

from ..cases.personas import act, new_case

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_the_georeport_library_reads_every_endpoint(transactional_db, live_server, cast, fmt):
    case = act(cast, "dispatch", act(cast, "accept", new_case(cast)))
    other = new_case(cast, category_code="C0102")
    jurisdiction = cast.territory.district.code
    client = GeoReport(
        f"{live_server.url}/open311/v2", jurisdiction=jurisdiction, output_format=fmt
    )
    services = client.get_service_list()
    assert "C0101" in {s["service_code"] for s in services}
    definition = client.get_service_definition("C0101")
    assert definition["service_code"] == "C0101"
    requests = client.get_service_requests(status="open")
    assert {r["service_request_id"] for r in requests} == {case.number, other.number}
    only = client.get_service_requests(service_code="C0102")
    # xmltodict gives one element as a dict, several as a list: the library passes that on.
    only = only if isinstance(only, list) else [only]
    assert [r["service_request_id"] for r in only] == [other.number]
    one = client.get_service_request(case.number)
    assert one["service_request_id"] == case.number
    assert one["agency_responsible"] == cast.department.name
    assert one["status"] == "open" and one["service_code"] == "C0101"
