"""In-memory fakes of approvals.ports, and a small catalog, for tests of the use cases.

The fakes behave like a database, not like mocks: a `FakeDatabase` holds what was committed; a
unit of work keeps its uncommitted writes apart and applies them on `commit()`, or drops them on
exit. Reads inside a transaction see the committed rows plus the transaction's own writes (read
committed), so a test can let another transaction commit in the middle of a use case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import TYPE_CHECKING, Any

from approvals.catalog import Catalog, build_catalog
from approvals.due_work import run_due_job
from approvals.model import (
    Actor,
    AuditEvent,
    Decision,
    Delegation,
    Note,
    Request,
    RequestKind,
    Source,
    State,
)
from approvals.policies import Policy
from approvals.ports import (
    AuditLog,
    Clock,
    DelegationRepository,
    Job,
    JobQueue,
    Notification,
    Outbox,
    ProcessedActivities,
    RequestRepository,
    UnitOfWork,
)

T0 = datetime(2025, 3, 3, 9, 30, tzinfo=UTC)


class FakeClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, now: datetime = T0) -> None:
        self.set(now)

    def now(self) -> datetime:
        return self._now

    def set(self, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("FakeClock wants an aware datetime, as the server's clock gives")
        self._now = now

    def advance(self, delta: timedelta | None = None, **units: float) -> datetime:
        self._now += (delta or timedelta()) + timedelta(**units)
        return self._now


@dataclass
class FakeDatabase:
    """Committed state, laid out as the SQL tables are: decisions and notes apart from requests."""

    rows: dict[str, Request] = field(default_factory=dict)
    decisions: dict[str, list[Decision]] = field(default_factory=dict)
    notes: dict[str, list[Note]] = field(default_factory=dict)
    audit: list[AuditEvent] = field(default_factory=list)
    last_number: dict[RequestKind, int] = field(default_factory=dict)
    outbox: dict[str, Notification] = field(default_factory=dict)  # by key, in queue order
    jobs: dict[str, Job] = field(default_factory=dict)  # due, not yet run, by key
    done_jobs: dict[str, Job] = field(default_factory=dict)  # claimed by a worker
    cancelled_jobs: dict[str, Job] = field(default_factory=dict)
    delegations: dict[str, Delegation] = field(default_factory=dict)
    processed: dict[tuple[str, str | None, str], str] = field(default_factory=dict)

    def copy(self) -> FakeDatabase:
        return FakeDatabase(
            rows=dict(self.rows),
            decisions={k: list(v) for k, v in self.decisions.items()},
            notes={k: list(v) for k, v in self.notes.items()},
            audit=list(self.audit),
            last_number=dict(self.last_number),
            outbox=dict(self.outbox),
            jobs=dict(self.jobs),
            done_jobs=dict(self.done_jobs),
            cancelled_jobs=dict(self.cancelled_jobs),
            delegations=dict(self.delegations),
            processed=dict(self.processed),
        )

    def request(self, request_id: str) -> Request | None:
        """A request as it was committed, with its decisions and notes."""
        row = self.rows.get(request_id)
        if row is None:
            return None
        return row.evolve(decisions=tuple(self.decisions[request_id]),
                          notes=tuple(self.notes[request_id]))

    def requests(self) -> list[Request]:
        return [r for r in (self.request(i) for i in self.rows) if r is not None]

    def audit_for(self, request_id: str) -> list[AuditEvent]:
        return [e for e in self.audit if e.request_id == request_id]

    # Writes, applied to a transaction's view at once and to the committed state on commit.

    def bump(self, kind: RequestKind) -> None:
        self.last_number[kind] = self.last_number.get(kind, 0) + 1

    def insert(self, request: Request) -> None:
        if request.id in self.rows:
            raise KeyError(f"duplicate request id {request.id}")
        self.rows[request.id] = request.evolve(decisions=(), notes=())
        self.decisions[request.id] = list(request.decisions)
        self.notes[request.id] = list(request.notes)

    def update(self, request: Request) -> None:
        self.rows[request.id] = request.evolve(decisions=(), notes=())

    def append_decision(self, request_id: str, decision: Decision) -> None:
        self.decisions[request_id].append(decision)

    def append_note(self, request_id: str, note: Note) -> None:
        self.notes[request_id].append(note)

    def append_audit(self, event: AuditEvent) -> None:
        self.audit.append(event)

    def queue(self, notification: Notification) -> None:
        self.outbox.setdefault(notification.key, notification)

    def schedule(self, job: Job) -> None:
        if job.key not in self.done_jobs:
            self.jobs.setdefault(job.key, job)

    def cancel(self, request_id: str, kinds: tuple[str, ...] | None) -> None:
        for key, job in list(self.jobs.items()):
            if job.request_id == request_id and (kinds is None or job.kind in kinds):
                self.cancelled_jobs[key] = self.jobs.pop(key)

    def put_delegation(self, delegation: Delegation) -> None:
        if delegation.ended_at is None and any(
                d.delegator_id == delegation.delegator_id and d.ended_at is None
                and d.id != delegation.id for d in self.delegations.values()):
            raise KeyError(f"{delegation.delegator_id} already has a running delegation")
        self.delegations[delegation.id] = delegation

    def claim(self, key: str) -> None:
        self.done_jobs[key] = self.jobs.pop(key)

    # What a test looks at.

    def notifications(self, request_id: str | None = None, kind: str | None = None
                      ) -> list[Notification]:
        return [n for n in self.outbox.values()
                if (request_id is None or n.request_id == request_id)
                and (kind is None or n.kind == kind)]

    def sent(self, kind: str, request_id: str | None = None) -> list[str]:
        """The recipients of notifications of `kind`, in queue order."""
        return [n.recipient_id for n in self.notifications(request_id, kind)]

    def due_jobs(self, now: datetime) -> list[Job]:
        return sorted((j for j in self.jobs.values() if j.due_at <= now),
                      key=lambda j: (j.due_at, j.key))


Write = Callable[[FakeDatabase], None]


class FakeTransaction:
    """One unit of work's uncommitted writes over a shared FakeDatabase."""

    def __init__(self, db: FakeDatabase) -> None:
        self.db = db
        self.pending: list[Write] = []
        self.active = False

    def view(self) -> FakeDatabase:
        """The committed state with this transaction's own writes applied (the working copy)."""
        self._require_active()
        working = self.db.copy()
        for write in self.pending:
            write(working)
        return working

    def write(self, op: Write) -> FakeDatabase:
        working = self.view()
        op(working)  # refuse a bad write now, as a database would (duplicate key, missing row)
        self.pending.append(op)
        return working

    def commit(self) -> None:
        self._require_active()
        for write in self.pending:
            write(self.db)
        self.pending = []

    def _require_active(self) -> None:
        if not self.active:
            raise AssertionError("repository used outside `async with uow`")


class FakeRequestRepository:
    def __init__(self, tx: FakeTransaction) -> None:
        self._tx = tx

    async def next_id(self, kind: RequestKind) -> str:
        working = self._tx.write(lambda db: db.bump(kind))
        return f"{kind.prefix}-{working.last_number[kind]}"

    async def add(self, request: Request) -> None:
        self._tx.write(lambda db: db.insert(request))

    async def get(self, request_id: str) -> Request | None:
        return self._tx.view().request(request_id)

    async def compare_and_set(self, request: Request, expected_version: int) -> bool:
        current = self._tx.view().rows.get(request.id)
        if current is None or current.version != expected_version:
            return False
        assert request.version == expected_version + 1, "a change must bump the version by one"
        self._tx.write(lambda db: db.update(request))
        return True

    async def add_decision(self, request_id: str, decision: Decision) -> None:
        self._tx.write(lambda db: db.append_decision(request_id, decision))

    async def add_note(self, request_id: str, note: Note) -> None:
        self._tx.write(lambda db: db.append_note(request_id, note))

    async def list_open_for_asset(self, asset_name: str) -> list[Request]:
        return [r for r in self._tx.view().requests()
                if r.asset_name == asset_name and r.state.is_open]

    async def list_by_requester(self, person_id: str, open_only: bool) -> list[Request]:
        return [r for r in self._tx.view().requests()
                if r.requester_id == person_id and (r.state.is_open or not open_only)]

    async def list_open_for_decider(self, person_id: str) -> list[Request]:
        return [r for r in self._tx.view().requests()
                if person_id in r.deciders and r.state.is_open]

    async def list_in_states(self, states: tuple[State, ...]) -> list[Request]:
        return [r for r in self._tx.view().requests() if r.state in states]


    async def list_linked(self, request_id: str) -> list[Request]:
        return [r for r in self._tx.view().requests()
                if request_id in (r.renews, r.reviews)]


class FakeDelegationRepository:
    def __init__(self, tx: FakeTransaction) -> None:
        self._tx = tx

    async def add(self, delegation: Delegation) -> None:
        self._tx.write(lambda db: db.put_delegation(delegation))

    async def running_for(self, delegator_id: str) -> Delegation | None:
        found = [d for d in await self.running() if d.delegator_id == delegator_id]
        return found[0] if found else None

    async def running(self) -> list[Delegation]:
        return sorted((d for d in self._tx.view().delegations.values() if d.ended_at is None),
                      key=lambda d: d.starts_at)

    async def get(self, delegation_id: str) -> Delegation | None:
        return self._tx.view().delegations.get(delegation_id)

    async def end(self, delegation_id: str, ended_at: datetime, ended_by: str) -> bool:
        current = self._tx.view().delegations.get(delegation_id)
        if current is None or current.ended_at is not None:
            return False
        ended = replace(current, ended_at=ended_at, ended_by=ended_by)
        self._tx.write(lambda db: db.put_delegation(ended))
        return True


class FakeAuditLog:
    def __init__(self, tx: FakeTransaction) -> None:
        self._tx = tx

    async def append(self, event: AuditEvent) -> None:
        self._tx.write(lambda db: db.append_audit(event))

    async def for_request(self, request_id: str) -> list[AuditEvent]:
        return self._tx.view().audit_for(request_id)


class FakeOutbox:
    def __init__(self, tx: FakeTransaction) -> None:
        self._tx = tx

    async def add(self, notification: Notification) -> None:
        self._tx.write(lambda db: db.queue(notification))


class FakeJobQueue:
    def __init__(self, tx: FakeTransaction) -> None:
        self._tx = tx

    async def schedule(self, *jobs: Job) -> None:
        for job in jobs:
            self._tx.write(lambda db, job=job: db.schedule(job))

    async def cancel(self, request_id: str, kinds: tuple[str, ...] | None = None) -> None:
        self._tx.write(lambda db: db.cancel(request_id, kinds))


class FakeProcessedActivities:
    def __init__(self, tx: FakeTransaction) -> None:
        self._tx = tx

    async def record(self, source: Source, request_id: str, action: str,
                     at: datetime) -> str | None:
        key = (source.channel, source.conversation_id, source.activity_id or "")
        earlier = self._tx.view().processed.get(key)
        if earlier is not None:
            return earlier
        self._tx.write(lambda db: db.processed.__setitem__(key, request_id))
        return None


class FakeUnitOfWork:
    """Rolls back on exit unless `commit()` was called; `commits` counts the commits."""

    def __init__(self, db: FakeDatabase | None = None) -> None:
        self.db = db if db is not None else FakeDatabase()
        self._tx = FakeTransaction(self.db)
        self.requests: RequestRepository = FakeRequestRepository(self._tx)
        self.audit: AuditLog = FakeAuditLog(self._tx)
        self.outbox: Outbox = FakeOutbox(self._tx)
        self.jobs: JobQueue = FakeJobQueue(self._tx)
        self.delegations: DelegationRepository = FakeDelegationRepository(self._tx)
        self.activities: ProcessedActivities = FakeProcessedActivities(self._tx)
        self.commits = 0
        self.rollbacks = 0

    @property
    def committed(self) -> bool:
        return self.commits > 0

    async def __aenter__(self) -> FakeUnitOfWork:
        if self._tx.active:
            raise AssertionError("unit of work entered twice")
        self._tx.active = True
        self._tx.pending = []
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._tx.pending:
            self.rollbacks += 1
        self._tx.pending = []
        self._tx.active = False

    async def commit(self) -> None:
        self._tx.commit()
        self.commits += 1


async def run_due_jobs(
    db: FakeDatabase, catalog: Catalog, policy: Policy, clock: Clock
) -> list[Job]:
    """The scheduler's worker, by hand: claim each job due by the clock, oldest first, and run
    it in its own unit of work (a job may plan another that is due at once)."""
    ran: list[Job] = []
    while due := db.due_jobs(clock.now()):
        job = due[0]
        db.claim(job.key)
        await run_due_job(FakeUnitOfWork(db), catalog, policy, clock, job)
        ran.append(job)
    return ran


if TYPE_CHECKING:  # mypy checks that the fakes satisfy the ports
    _clock: Clock = FakeClock()
    _uow: UnitOfWork = FakeUnitOfWork()
    _requests: RequestRepository = FakeRequestRepository(FakeTransaction(FakeDatabase()))
    _audit: AuditLog = FakeAuditLog(FakeTransaction(FakeDatabase()))
    _outbox: Outbox = FakeOutbox(FakeTransaction(FakeDatabase()))
    _jobs: JobQueue = FakeJobQueue(FakeTransaction(FakeDatabase()))
    _delegations: DelegationRepository = FakeDelegationRepository(FakeTransaction(FakeDatabase()))


# The small catalog: megan owns payments-api (adele backs her up), the payments team owns the
# ledger, kv-payments is critical, alex alone owns the sandbox, and outsider owns nothing.

AAD = {
    "megan": "00000000-0000-0000-0000-0000000000021",
    "adele": "00000000-0000-0000-0000-0000000000022",
    "alex": "00000000-0000-0000-0000-0000000000020",
    "outsider": "00000000-0000-0000-0000-0000000000099",
    "lynne": "00000000-0000-0000-0000-0000000000025",
    "isaiah": "00000000-0000-0000-0000-0000000000023",
}
NAMES = {
    "megan": "Megan Bowen", "adele": "Adele Vance", "alex": "Alex Wilber",
    "outsider": "Oscar Outsider", "lynne": "Lynne Robbins", "isaiah": "Isaiah Langer",
}


def catalog_data() -> dict[str, Any]:
    """The small catalog as parsed YAML, for tests that break it on purpose."""
    return {
        "people": [
            {"id": pid, "name": NAMES[pid], "email": f"{pid}@example.com",
             "aad_object_id": AAD[pid]}
            for pid in ("megan", "adele", "alex", "outsider")
        ],
        "teams": [{"id": "payments-team", "name": "Payments Platform",
                   "members": ["megan", "adele"]}],
        "assets": [
            {"name": "payments-api", "aliases": ["payments", "pay-api"],
             "kind": "azure-app-service", "owner": "megan", "backup": "adele",
             "team": "payments-team", "tier": "high"},
            {"name": "ledger-db", "aliases": ["ledger"], "kind": "azure-sql-database",
             "owner": "payments-team", "team": "payments-team", "tier": "medium"},
            {"name": "kv-payments", "aliases": ["payments-keyvault"], "kind": "azure-key-vault",
             "owner": "megan", "backup": "adele", "tier": "critical"},
            {"name": "sandbox", "kind": "azure-subscription", "owner": "alex", "tier": "low"},
        ],
    }


def small_catalog() -> Catalog:
    return build_catalog(catalog_data())


def policy_catalog() -> Catalog:
    """The small catalog with a security team (lynne, isaiah), lynne as everyone's manager,
    and `siem`, a critical asset lynne owns alone."""
    data = catalog_data()
    for person in data["people"]:
        person["manager"] = "lynne"
    data["people"] += [
        {"id": pid, "name": NAMES[pid], "email": f"{pid}@example.com", "aad_object_id": AAD[pid]}
        for pid in ("lynne", "isaiah")
    ]
    data["teams"].append({"id": "security-team", "name": "Security",
                          "members": ["lynne", "isaiah"]})
    data["assets"].append({"name": "siem", "kind": "azure-sentinel", "owner": "lynne",
                           "tier": "critical"})
    return build_catalog(data)


def actor(person_id: str) -> Actor:
    """Someone acting in Teams, known by the Entra object id their activity carries."""
    return Actor(aad_object_id=AAD[person_id], name=NAMES[person_id])


def stranger() -> Actor:
    """An authenticated user the catalog does not know."""
    return Actor(aad_object_id="11111111-2222-3333-4444-555555555555", name="Sam Stranger")


# No activity id: each use stands for a new activity (tests of redelivery name their own).
SOURCE = Source(conversation_id="conv-1", activity_id=None)
