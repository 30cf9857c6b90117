"""Properties of the certificate rules (applet.domain.ledger) over random ledgers (hypothesis).

Whatever sequence of purchases, removals from a named certificate, removals without one (planned or
recorded before certificates), and give-ups of every Per Server license: what is left on each
certificate stays between zero and its quantity, and the certificates of a mode hold exactly the
mode's entitlement (the ledger sum).
"""

from hypothesis import given, settings
from hypothesis import strategies as st

from applet.domain.errors import InsufficientLicenses, InvalidInput
from applet.domain.ledger import LineKind, Purchase, PurchaseLedger
from applet.domain.products import LicenseMode

MODES = st.sampled_from(list(LicenseMode))
STEPS = st.lists(
    st.tuples(
        st.sampled_from(["buy", "remove-from", "remove", "legacy-remove", "give-up"]),
        MODES,
        st.integers(min_value=1, max_value=30),
        st.integers(min_value=0, max_value=40),  # which certificate, for remove-from
    ),
    max_size=40,
)


def check(ledger: PurchaseLedger) -> None:
    for mode in LicenseMode:
        certificates = ledger.certificates(mode)
        assert all(0 <= c.remaining <= c.quantity for c in certificates)
        assert sum(c.remaining for c in certificates) == ledger.entitlement(mode)


@settings(max_examples=300, deadline=None)
@given(STEPS)
def test_what_is_left_on_certificates_is_always_the_entitlement(
    steps: list[tuple[str, LicenseMode, int, int]],
) -> None:
    ledger = PurchaseLedger()
    next_id = 1

    def append(
        mode: LicenseMode, quantity: int, certificate: int | None = None, kind: LineKind | None = None
    ) -> None:
        nonlocal next_id
        ledger.append(
            Purchase("P", mode, quantity, "admin", purchase_id=next_id, certificate_id=certificate, kind=kind)
        )
        next_id += 1

    for action, mode, quantity, pick in steps:
        held = ledger.entitlement(mode)
        try:
            if action == "buy":
                append(mode, quantity)
            elif action == "remove-from":
                left = {c.purchase_id: c.remaining for c in ledger.certificates(mode)}
                certificate = pick if pick in left else (min(left) if left else pick)
                try:
                    ((drawn_from, drawn),) = ledger.plan_removal(mode, quantity, certificate)
                except (InsufficientLicenses, InvalidInput):
                    # Refused only when the certificate really cannot give that many.
                    assert left.get(certificate, 0) < quantity
                    continue
                assert drawn_from == certificate and drawn == quantity <= left[certificate]
                append(mode, -drawn, drawn_from)
            elif action == "remove":
                try:
                    draws = ledger.plan_removal(mode, quantity)
                except InsufficientLicenses:
                    assert quantity > held
                    continue
                assert sum(drawn for _, drawn in draws) == quantity
                order = [certificate for certificate, _ in draws]
                assert order == sorted(order, reverse=True)  # newest first
                for certificate, drawn in draws:
                    append(mode, -drawn, certificate)
            elif action == "legacy-remove":  # a removal of the previous release: no certificate named
                if quantity <= held:
                    append(mode, -quantity)
            elif held > 0:  # give-up: every license of the mode, one line naming no certificate
                append(mode, -held, kind=LineKind.MODE_CHANGE)
                assert ledger.entitlement(mode) == 0
        finally:
            check(ledger)
