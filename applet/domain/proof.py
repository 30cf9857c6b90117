"""The service's proof of identity: what a client checks before it sends a token.

The endpoint file can outlive the service (``kill -9``), and then anyone on the machine may listen on
its port. So a client never sends its token to a listener first: it sends a fresh random nonce
(``GET /v1/hello?nonce=...``, no token), and the listener must answer the HMAC of that nonce and the
port it was reached on, keyed by the very token the client is about to send. Only a process that
already holds the token can answer, so the token never reaches anyone who did not have it; a relay
to the real service on another port fails too, because the port is part of what is signed.

Pure computation, shared by the service (which answers) and the clients (which check).
"""

import hashlib
import hmac
import secrets

HELLO_PATH = "/v1/hello"
# The version of the HTTP/JSON API, said in the hello answer: a client refuses a service (or a master
# it administers from another desk) that speaks another one, before it sends anything else.
API_VERSION = 1
NONCE_BYTES = 16
_CONTEXT = b"lls-service-proof\x00"


def new_nonce() -> str:
    """A fresh random challenge (hex)."""
    return secrets.token_hex(NONCE_BYTES)


def valid_nonce(nonce: str) -> bool:
    """True for 32 to 128 hex digits (what the service agrees to sign)."""
    return 32 <= len(nonce) <= 128 and all(c in "0123456789abcdef" for c in nonce)


def service_proof(token: str, nonce: str, port: int) -> str:
    """The answer to ``nonce`` reached on ``port``, keyed by ``token`` (hex HMAC-SHA256)."""
    message = _CONTEXT + nonce.encode("ascii") + b"\x00" + str(port).encode("ascii")
    return hmac.new(token.encode("utf-8"), message, hashlib.sha256).hexdigest()


def proof_matches(answer: object, token: str, nonce: str, port: int) -> bool:
    """True when ``answer`` is the right proof (compared in constant time)."""
    if not isinstance(answer, str) or len(answer) != 64:
        return False
    return hmac.compare_digest(answer.encode("ascii", "replace"), service_proof(token, nonce, port).encode())
