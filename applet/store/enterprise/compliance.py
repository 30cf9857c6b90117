"""The compliance report's figures over the whole enterprise, per product and per server.

One data function (:func:`enterprise_compliance`) for ``GET /v1/enterprise/report``, License Manager's
report connected to a master and ``lls enterprise report``; :func:`applet.store.reports.enterprise_lines`
turns its document into the report's lines, and :func:`applet.store.reports.compliance_html` writes it.

Per product:

* ``per_seat``: the enterprise Per Seat pool (purchases of every server, allocated, unlicensed users), when
  the product is Per Seat on a server or has a pool;
* ``per_server``: the Per Server licenses and peaks summed over the servers in Per Server mode, when any;
* ``servers``: each server that has the product, with its mode, what it purchased, its figure of use
  (Per Server: its peak since the last reset; Per Seat: the users it saw), the users of the pool without
  a license among them (Per Seat) or the connections over its licenses (Per Server), and the violation
  events (201, 202, 221) it logged for the product.

A violation event counts on the line of the server's mode; one logged where the product is not
registered (the master's 201s for users the enterprise pool cannot license) counts on the pool's line.
"""

from typing import Any

from applet.domain.compliance import per_seat_compliance, per_server_compliance
from applet.domain.events import CATALOGUE
from applet.store.enterprise.dialect import Connection

VIOLATIONS = tuple(int(event_id) for event_id, definition in CATALOGUE.items() if definition.is_violation)


def enterprise_compliance(db: Connection) -> dict[str, Any]:
    """Per product: the Per Seat pool, Per Server totals and per server figures (see the module)."""
    origins: dict[str, str] = {
        str(k): str(v) for k, v in db.execute("SELECT origin_key, origin FROM ent_origins")
    }
    violations: dict[tuple[str, str], int] = {}
    marks = ", ".join("?" * len(VIOLATIONS))
    for origin_key, product, count in db.execute(
        f"SELECT origin_key, product, COUNT(*) FROM ent_events WHERE event_id IN ({marks}) "
        "AND product IS NOT NULL GROUP BY origin_key, product",
        VIOLATIONS,
    ):
        key = (str(origin_key), str(product).casefold())
        violations[key] = violations.get(key, 0) + int(count)
    seat_users: dict[tuple[str, str], tuple[int, int]] = {
        (str(origin_key), str(product_key)): (int(users), int(unlicensed or 0))
        for origin_key, product_key, users, unlicensed in db.execute(
            "SELECT u.origin_key, u.product_key, COUNT(*), "
            "SUM(CASE WHEN s.licensed_order IS NULL THEN 1 ELSE 0 END) FROM ent_seat_uses u "
            "JOIN ent_seats s ON s.product_key = u.product_key AND s.user_key = u.user_key "
            "GROUP BY u.origin_key, u.product_key"
        )
    }
    products: dict[str, dict[str, Any]] = {}

    def entry(key: str, name: str) -> dict[str, Any]:
        return products.setdefault(
            key, {"product": name, "per_seat": None, "per_server": None, "servers": []}
        )

    for key, name, purchased, allocated, users, unlicensed in db.execute(
        "SELECT product_key, product, purchased, allocated, users, unlicensed FROM ent_pools"
    ):
        entry(str(key), str(name))["per_seat"] = _pool(
            int(purchased), int(allocated), int(users), int(unlicensed)
        )
    for origin_key, key, name, mode, per_server, per_seat, peak in db.execute(
        "SELECT origin_key, product_key, name, mode, per_server_licenses, per_seat_licenses, peak "
        "FROM ent_products WHERE removed IS NULL ORDER BY product_key, origin_key"
    ):
        record = entry(str(key), str(name))
        counted = violations.pop((origin_key, key), 0)
        if mode == "per-server":
            purchased, used = int(per_server), int(peak)
            unlicensed = max(0, used - purchased)
            state = per_server_compliance(used, purchased).value
            total = record["per_server"] or {"purchased": 0, "peak": 0, "unlicensed": 0, "violations": 0}
            total["purchased"] += purchased
            total["peak"] += used
            total["unlicensed"] += unlicensed
            total["violations"] += counted
            record["per_server"] = total
        else:
            purchased = int(per_seat)
            used, unlicensed = seat_users.get((origin_key, key), (0, 0))
            state = "over-limit" if unlicensed else "compliant"
            if record["per_seat"] is None:
                record["per_seat"] = _pool(0, 0, 0, 0)
            record["per_seat"]["violations"] += counted
        record["servers"].append(
            {
                "server": origins.get(origin_key, origin_key),
                "mode": mode,
                "purchased": purchased,
                "used": used,
                "unlicensed": unlicensed,
                "violations": counted,
                "state": state,
            }
        )
    # Violations where the product is not registered: the pool's, else the product's Per Server line.
    for (_, unregistered), counted in violations.items():
        found = products.get(unregistered)
        if found is not None:
            line = found["per_seat"] or found["per_server"]
            if line is not None:
                line["violations"] += counted
    for record in products.values():
        total = record["per_server"]
        if total is not None:
            states = [s["state"] for s in record["servers"] if s["mode"] == "per-server"]
            total["state"] = max(states, key=_SEVERITY.index, default="compliant")
    # The servers: every origin of data (also those further down, forwarded) and every enrolled one.
    enrolled = {str(row[0]) for row in db.execute("SELECT server_key FROM ent_servers WHERE revoked IS NULL")}
    return {"servers": len(enrolled | set(origins)), "products": [products[key] for key in sorted(products)]}


_SEVERITY = ["compliant", "at-limit", "over-limit"]


def _pool(purchased: int, allocated: int, users: int, unlicensed: int) -> dict[str, Any]:
    return {
        "purchased": purchased,
        "allocated": allocated,
        "users": users,
        "unlicensed": unlicensed,
        "violations": 0,
        "state": per_seat_compliance(allocated, purchased, unlicensed).value,
    }
