"""The enterprise database: what servers replicate to their master, on SQLite or PostgreSQL.

Design (DESIGN.md section 5a; the original's replication, reference section 6)
==============================================================================

Roles. Every License Logging service can be a master: it accepts replication from the servers enrolled
with it. Each server sends its license information to one master (the Configure Replication settings).
The master keeps what it receives in the *enterprise database*, separate from its own store: a SQLite
file ``enterprise.sqlite3`` in its data folder by default (embedded, nothing to install), or a
PostgreSQL database (``lls service run --enterprise-database postgresql://...``) that several master
instances may share. The master's own license data enters the same database through the same batches
(origin: the master's server name), so "the enterprise" is one set of rows whoever recorded them.
Instances sharing PostgreSQL each enter their own local data too, each under a name of its own.
A master with a master of its own forwards upwards what its servers sent it, each row with its origin
(:mod:`applet.store.enterprise.forward`).

Enrolment. ``lls enterprise enroll SERVER`` creates a random 256-bit secret for the server, shows it
once (or writes it owner-only to a token file) and keeps only its SHA-256 in the database. The token file
holds the server's name and the secret; the server presents both with every batch (the name in the
batch, the secret as ``Authorization: Bearer``). Not enrolled, revoked (``lls enterprise remove``) or a
wrong secret: 401 and nothing stored; the sender logs event 213.

The protocol: numbered, acknowledged batches per server.
    * A server builds a batch from its store since the last one (watermarks: the last purchase and
      event ids sent, the last Per Seat use time and usage minute sent) and numbers it ``seq`` = last
      acknowledged + 1. The batch and the advanced watermarks are saved in the server's store in one
      transaction *before* it is sent, so a batch is never rebuilt differently after a crash: the same
      ``seq`` always carries the same rows (at-least-once delivery).
    * The master stores a batch in one transaction together with ``last_seq = seq`` for the server
      (a row lock on the server's row serialises concurrent deliveries, also across master instances
      sharing PostgreSQL). ``seq <= last_seq``: a duplicate, acknowledged again and not stored;
      ``seq > last_seq + 1``: a gap, refused (409). So a batch delivered twice, out of order or after a
      crash on either side is stored exactly once. The answer acknowledges the highest stored ``seq``;
      the server drops its saved batch only then.
    * Every row carries its *origin* server, and the master keys rows by (origin, origin's own key):
      products by name, Per Seat uses by (product, user), samples by (product, minute), purchases and
      events by the origin's ids. An origin belongs to the first sender that delivered it; a batch
      with rows of an origin that is another enrolled server, or another sender's, or the master itself
      (a replication loop), is refused and logged, and nothing of it is stored.
    * The master answers with its own name and the chain of masters above it; a server refuses
      batches from any server in that chain, which stops a loop (A to B to A) with a clear message.
    * A batch is refused whole when malformed, when its time is in the future (more than 5 minutes
      ahead of the master's clock) or when it exceeds the size limit.

What replicates: each product with its mode, Per Server and Per Seat licenses and peak; Per Seat first
and last uses per user and product; per-minute usage samples; the purchase ledger; violation events;
deleted Per Seat clients (a deletion on the origin removes that origin's use on the master, and the
user leaves the pool when no server has them any more); each origin's license groups (how the
enterprise merges them: :class:`applet.store.enterprise.pools.Groups`).

Enterprise-wide Per Seat. Per Seat licenses count for the whole enterprise: the pool of a product is the
sum of its Per Seat purchases on every server. The master allocates the pool over the distinct users of
all servers with the rules of one server (:class:`applet.domain.counting.PerSeatAllocator`): a user takes
one license on the first use the master learns of, in arrival order; those beyond the pool are
unlicensed, not refused; when the pool changes, the oldest holders keep their licenses. A user who uses
the product on five servers takes one license. License groups, purchases and deletions settle the
whole pool of a product with the same rule (:mod:`applet.store.enterprise.pools`). The allocation is
kept in ``ent_seats`` as batches arrive, under a lock on the product's pool row, so reading it (``lls
enterprise products``) is a small indexed query however many rows there are.

Storage layer: psycopg 3 with a small dialect layer, not SQLAlchemy Core + Alembic. The queries this
needs are few and plain (inserts with ``ON CONFLICT``, keyed updates, grouped counts), and SQLite 3.35+
and PostgreSQL accept the same text for all of them except the placeholder and three spellings
(:mod:`applet.store.enterprise.dialect`). One list of migrations in portable SQL
(:mod:`applet.store.enterprise.schema`) serves both. Against SQLAlchemy + Alembic: two large
dependencies (and Alembic's own migration files and configuration) for what is a version table and a
list of statements; an ORM-free Core still hides the exact SQL a reviewer wants to see for locking;
and the local store already speaks plain ``sqlite3``, so one style stays. psycopg gives what matters
for the figures: pipelined ``executemany`` and ``COPY``. It is imported only when a PostgreSQL URL is
used, and this package only when replication runs: nothing here is on the import path of
``lls product list`` or the applet.
"""

from applet.store.enterprise.master import EnterpriseStore, ReplicationRefused, open_enterprise

__all__ = ["EnterpriseStore", "ReplicationRefused", "open_enterprise"]
