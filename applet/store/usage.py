"""Usage: per-minute samples for charts, and the per-product summary of the Products View."""

from collections.abc import Sequence

from applet.domain.compliance import product_compliance
from applet.domain.products import LicenseMode
from applet.store.records import ProductSummary, UsageSample
from applet.store.repository import Repository

_MERGE_SAMPLE = """
INSERT INTO usage_samples (product_id, minute, max_in_use, requests, denials) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (product_id, minute) DO UPDATE SET
    max_in_use = MAX(max_in_use, excluded.max_in_use),
    requests = requests + excluded.requests,
    denials = denials + excluded.denials
"""


class UsageRepository(Repository):
    """The ``usage_samples`` table and the Products View summary."""

    def record_samples(self, samples: Sequence[UsageSample]) -> None:
        """Merge a batch of per-minute samples (max of maxima, sums of counts)."""
        with self.db.transaction() as connection:
            connection.executemany(
                _MERGE_SAMPLE,
                [(s.product_id, s.minute, s.max_in_use, s.requests, s.denials) for s in samples],
            )

    def samples(
        self, product: str, since_minute: int = 0, until_minute: int | None = None
    ) -> list[UsageSample]:
        """One product's samples in a minute range, oldest first."""
        with self.db.errors():
            product_id = self.product_id(self.connection, product)
            rows = self.connection.execute(
                "SELECT product_id, minute, max_in_use, requests, denials FROM usage_samples "
                "WHERE product_id = ? AND minute >= ? AND minute <= ? ORDER BY minute",
                (product_id, since_minute, until_minute if until_minute is not None else 2**62),
            ).fetchall()
        return [UsageSample(*row) for row in rows]

    def peaks(
        self, product: str, since_minute: int, until_minute: int, bucket_minutes: int
    ) -> list[tuple[int, int]]:
        """Highest concurrent use per bucket of ``bucket_minutes`` in a minute range, oldest first.

        Returns ``(bucket start minute, max in use)`` for the buckets that have samples; the chart
        draws 24 hours, 30 days or 12 months from per-minute samples without reading them all in.
        """
        if bucket_minutes < 1:
            raise ValueError("bucket_minutes must be at least 1")
        with self.db.errors():
            product_id = self.product_id(self.connection, product)
            rows = self.connection.execute(
                "SELECT (minute / ?) * ?, MAX(max_in_use) FROM usage_samples "
                "WHERE product_id = ? AND minute >= ? AND minute <= ? GROUP BY minute / ? ORDER BY 1",
                (bucket_minutes, bucket_minutes, product_id, since_minute, until_minute, bucket_minutes),
            ).fetchall()
        return [(int(row[0]), int(row[1])) for row in rows]

    def summaries(self, product: str | None = None) -> list[ProductSummary]:
        """Per active product (or just ``product``): Per Seat purchased/allocated/unlicensed, Per Server
        purchased/reached, and the compliance (:func:`~applet.domain.compliance.product_compliance`).

        ``in_use`` is left None: clients connected now are the running service's to tell, and never
        decide compliance.
        """
        connection = self.connection
        with self.db.errors():
            products = connection.execute(
                "SELECT id, name, mode, peak_in_use FROM products WHERE removed IS NULL"
                + (" AND id = ?" if product is not None else "")
                + " ORDER BY name",
                [self.product_id(connection, product)] if product is not None else [],
            ).fetchall()
            purchased: dict[tuple[int, str], int] = {
                (row[0], row[1]): int(row[2])
                for row in connection.execute(
                    "SELECT product_id, mode, SUM(quantity) FROM purchases GROUP BY product_id, mode"
                )
            }
            group_licenses = dict(connection.execute("SELECT id, licenses FROM license_groups").fetchall())
            allocated: dict[int, int] = {}
            unlicensed: dict[int, int] = {}
            # One pass over the (product_id, licensed, group_id) index, no table rows read: a group
            # holds its licenses once, however many of its members used the product.
            for product_id, licensed, group_id, count in connection.execute(
                "SELECT product_id, licensed, group_id, COUNT(*) FROM seat_clients "
                "GROUP BY product_id, licensed, group_id"
            ):
                if not licensed:
                    unlicensed[product_id] = unlicensed.get(product_id, 0) + count
                    continue
                # A group with licenses holds them once; a group without any covers nobody (its
                # members hold their own), as the allocation rule says (applet.domain.counting).
                licenses = group_licenses.get(group_id, 0) if group_id is not None else 0
                units = licenses if licenses > 0 else count
                allocated[product_id] = allocated.get(product_id, 0) + units
        summaries = []
        for product_id, name, mode, peak in products:
            seat_bought = purchased.get((product_id, "per-seat"), 0)
            server_bought = purchased.get((product_id, "per-server"), 0)
            seat_used = allocated.get(product_id, 0)
            seat_unlicensed = unlicensed.get(product_id, 0)
            license_mode = LicenseMode(mode)
            compliance = product_compliance(
                license_mode, server_bought, int(peak), seat_bought, seat_used, seat_unlicensed
            )
            summaries.append(
                ProductSummary(
                    product_id,
                    name,
                    license_mode,
                    seat_bought,
                    seat_used,
                    seat_unlicensed,
                    server_bought,
                    int(peak),
                    compliance,
                )
            )
        return summaries
