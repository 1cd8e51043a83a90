"""The CRM service over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer

from bot.backends.crm.app import create_app as create_crm_app
from tests.support.backends import (
    AUTH,
    Backends,
    DatabaseUrls,
    prepare_database,
    settings,
)

ZHANG = "/v1/customers/C100003"


def bind_body(**changes: str) -> dict[str, str]:
    body = {
        "channel": "wechat",
        "external_id": "new-openid-777",
        "phone": "137 0000 1111",
        "order_number": "xk202411110012",
    }
    body.update(changes)
    return body


async def test_finds_customer_by_bound_openid_with_masked_phone(
    backends: Backends,
) -> None:
    response = await backends.crm.get("/v1/identities/wechat/demo-openid-001")
    assert response.status == 200
    body = await response.json()
    assert body["customer_id"] == "C100001"
    assert body["name"] == "王芳"
    assert body["masked_phone"] == "138****8000"
    assert "13800138000" not in await response.text()


async def test_unbound_openid_is_not_found(backends: Backends) -> None:
    response = await backends.crm.get("/v1/identities/wechat/new-openid-777")
    assert response.status == 404
    assert (await response.json())["error"]["code"] == "identity_not_bound"


async def test_binds_identity_with_phone_and_own_order(backends: Backends) -> None:
    response = await backends.crm.post("/v1/identities", json=bind_body())
    assert response.status == 201
    assert (await response.json())["customer_id"] == "C100003"
    again = await backends.crm.post("/v1/identities", json=bind_body())
    assert again.status == 200
    found = await backends.crm.get("/v1/identities/wechat/new-openid-777")
    assert (await found.json())["customer_id"] == "C100003"


async def test_every_identity_of_the_customer_is_listed_in_binding_order(
    backends: Backends,
) -> None:
    # C100003 has none in the seed; three channels bind, each lookup lists all.
    ids = ["web-a1", "web-b2", "web-c3"]
    for external_id in ids:
        response = await backends.crm.post(
            "/v1/identities", json=bind_body(channel="rest", external_id=external_id)
        )
        assert response.status == 201
    for external_id in ids:
        found = await backends.crm.get(f"/v1/identities/rest/{external_id}")
        body = await found.json()
        assert [(i["channel"], i["external_id"]) for i in body["identities"]] == [
            ("rest", x) for x in ids
        ]
        assert all(i["bound_at"].endswith("+08:00") for i in body["identities"])
    customer = await (await backends.crm.get("/v1/customers/C100003")).json()
    assert [i["external_id"] for i in customer["identities"]] == ids


async def test_binding_with_someone_elses_order_fails(backends: Backends) -> None:
    response = await backends.crm.post(
        "/v1/identities", json=bind_body(order_number="XK202411110004")
    )
    assert response.status == 422
    assert (await response.json())["error"]["code"] == "verification_failed"


async def test_binding_with_unknown_phone_fails_the_same_way(
    backends: Backends,
) -> None:
    response = await backends.crm.post(
        "/v1/identities", json=bind_body(phone="13999999999")
    )
    assert response.status == 422
    assert (await response.json())["error"]["code"] == "verification_failed"


async def test_openid_bound_to_another_customer_conflicts(backends: Backends) -> None:
    response = await backends.crm.post(
        "/v1/identities", json=bind_body(external_id="demo-openid-001")
    )
    assert response.status == 409
    assert (await response.json())["error"]["code"] == "identity_already_bound"


async def test_loyalty_summary_shows_tier_progress_and_expiring_points(
    backends: Backends,
) -> None:
    response = await backends.crm.get("/v1/customers/C100001/loyalty")
    body = await response.json()
    assert response.status == 200
    assert body["tier"] == "gold"
    assert body["tier_name"] == "金卡会员"
    assert body["points_balance"] == 8799
    assert body["growth_value"] == 13999
    assert body["next_tier"] == "diamond"
    assert body["points_to_next_tier"] == 16001
    assert body["expiring_points"] == 800
    assert body["next_expiry_date"] == "2024-12-02"


async def test_expiring_window_is_a_parameter(backends: Backends) -> None:
    response = await backends.crm.get(
        "/v1/customers/C100001/loyalty", params={"expiring_within_days": "7"}
    )
    assert (await response.json())["expiring_points"] == 0


async def test_every_tier_is_represented(backends: Backends) -> None:
    tiers = []
    for customer in ("C100004", "C100003", "C100001", "C100002"):
        response = await backends.crm.get(f"/v1/customers/{customer}/loyalty")
        tiers.append((await response.json())["tier"])
    assert tiers == ["regular", "silver", "gold", "diamond"]


async def test_ledger_lists_entries_newest_first(backends: Backends) -> None:
    response = await backends.crm.get(
        "/v1/customers/C100001/loyalty/ledger", params={"limit": "3"}
    )
    entries = (await response.json())["entries"]
    assert [entry["kind"] for entry in entries] == ["spend", "earn", "spend"]
    assert entries[1]["order_number"] == "XK202411110005"


async def test_registers_warranty_once_and_idempotently(backends: Backends) -> None:
    body = {
        "serial_number": "sn2c6v8n4x1l",
        "sku": "PH-X1P-512-WHT",
        "product_name": "小客 X1 Pro 智能手机 512GB 云白",
        "purchase_date": "2024-11-15",
        "order_number": "XK202411110012",
        "standard_months": 12,
    }
    first = await backends.crm.post(f"{ZHANG}/warranties", json=body)
    again = await backends.crm.post(f"{ZHANG}/warranties", json=body)
    assert (first.status, again.status) == (201, 200)
    registered = await first.json()
    assert registered["serial_number"] == "SN2C6V8N4X1L"
    assert registered["end_date"] == "2025-11-14"
    assert registered["status"] == "active"
    listed = await (await backends.crm.get(f"{ZHANG}/warranties")).json()
    assert [w["serial_number"] for w in listed["warranties"]] == ["SN2C6V8N4X1L"]
    other = await backends.crm.post("/v1/customers/C100004/warranties", json=body)
    assert other.status == 409
    assert (await other.json())["error"]["code"] == "serial_already_registered"


async def test_warranty_status_by_serial(backends: Backends) -> None:
    extended = await (await backends.crm.get("/v1/warranties/SN5R9T2K7M3P")).json()
    assert extended["extended_months"] == 12
    assert extended["end_date"] == "2027-11-10"
    expired = await (await backends.crm.get("/v1/warranties/SN1A2B3C4D5E")).json()
    assert expired["status"] == "expired"
    missing = await backends.crm.get("/v1/warranties/SN3F7T1W6B2X")
    assert missing.status == 404
    assert (await missing.json())["error"]["code"] == "warranty_not_registered"


async def test_binding_reports_503_when_the_order_service_is_down(
    database_urls: DatabaseUrls,
) -> None:
    await prepare_database("crm", database_urls.crm)
    app = create_crm_app(settings("crm", database_urls.crm, "http://127.0.0.1:1"))
    async with TestClient(TestServer(app), headers=AUTH) as crm:
        response = await crm.post("/v1/identities", json=bind_body())
        assert response.status == 503
        assert (await response.json())["error"]["code"] == "orders_unavailable"
