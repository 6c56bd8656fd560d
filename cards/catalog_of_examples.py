"""Every card Signoff sends, built from sample domain objects: for the README's pictures and tests.

The people and assets are those of the demo catalog (Alex Wilber asks, Megan Bowen owns
payments-api, Adele Vance is her backup); times are fixed, so the output never changes.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from approvals.catalog import Catalog, build_catalog
from approvals.errors import (
    AlreadyDecided,
    AmbiguousAsset,
    AssetChoice,
    InvalidRequest,
    NotADecider,
    SelfDecision,
    UnknownAsset,
    UnknownRequest,
)
from approvals.model import (
    Decision,
    Delegation,
    Note,
    Outcome,
    Request,
    RequestKind,
    Risk,
    State,
)
from approvals.queries import what_person_owns
from approvals.renewing import RenewalCapReached
from approvals.services import Ownership
from cards.decision import approval_card, decided_card
from cards.forms import exception_form, rollback_form
from cards.lifecycle import (
    delegation_ended_card,
    delegation_started_card,
    delegation_status_card,
    renewal_requested_card,
)
from cards.messages import card_for_error, error_card
from cards.moved import moved_card
from cards.queries import (
    help_card,
    holdings_card,
    my_approvals_card,
    my_requests_card,
    status_card,
    who_owns_card,
)
from cards.render import card_to_dict
from cards.requester import answer_sent_card, confirmation_card, info_question_card
from cards.views import View, overdue_card, view_card

TODAY = date(2026, 11, 27)
CREATED = datetime(2026, 11, 27, 9, 40, tzinfo=UTC)
ASKED = datetime(2026, 11, 27, 9, 48, tzinfo=UTC)
ANSWERED = datetime(2026, 11, 27, 9, 55, tzinfo=UTC)
DECIDED = datetime(2026, 11, 27, 10, 2, tzinfo=UTC)

_PEOPLE = [
    ("alex", "Alex Wilber", 20), ("megan", "Megan Bowen", 21), ("adele", "Adele Vance", 22),
    ("lynne", "Lynne Robbins", 25),
]
DEMO_SUBSET: dict[str, Any] = {
    "people": [
        {"id": pid, "name": name, "email": f"{pid}@example.com",
         "aad_object_id": f"00000000-0000-0000-0000-00000000000{n}"}
        for pid, name, n in _PEOPLE
    ],
    "teams": [{"id": "payments-team", "name": "Payments Platform", "members": ["megan", "adele"]}],
    "assets": [
        {"name": "payments-api", "aliases": ["payments", "pay-api"], "kind": "azure-app-service",
         "owner": "megan", "backup": "adele", "team": "payments-team", "tier": "high",
         "tags": ["pci"]},
        {"name": "kv-payments-prod", "kind": "azure-key-vault", "owner": "megan",
         "backup": "adele", "team": "payments-team", "tier": "critical", "tags": ["pci"]},
        {"name": "stpaymentsexports", "kind": "azure-storage-account", "owner": "adele",
         "backup": "megan", "team": "payments-team", "tier": "high", "tags": ["pci"]},
    ],
}

EXCEPTION = Request(
    id="EXC-1", kind=RequestKind.EXCEPTION, asset_name="payments-api",
    title="Allow outbound calls to the new card processor over the public endpoint",
    justification="The processor's private endpoint is delayed by two weeks; the migration of "
    "card tokenisation cannot wait without missing the PCI deadline.",
    requester_id="alex", requester_name="Alex Wilber", deciders=("megan", "adele"),
    created_at=CREATED, updated_at=CREATED, risk=Risk.HIGH,
    controls="Egress restricted to the processor's published IP ranges; mutual TLS; alerts on "
    "any other destination.",
    expires_on=date(2026, 12, 11),
)
ROLLBACK = Request(
    id="RBK-1", kind=RequestKind.ROLLBACK, asset_name="payments-api",
    title="Roll back payments-api release 4.2", justification="Checkout errors rose to 3% after "
    "the release; 4.1 was stable for a month.", requester_id="alex", requester_name="Alex Wilber",
    deciders=("megan", "adele"), created_at=CREATED, updated_at=CREATED,
    change_ref="CHG0012345 / INC0098765", rollback_of="Release 4.2 of payments-api, deployed "
    "2026-11-26 18:00 UTC", emergency=True,
)
QUESTION = Note("megan", "Megan Bowen", "Which IP ranges exactly, and who watches the alerts?",
                ASKED, "question")
ANSWER = Note("alex", "Alex Wilber", "The four /28 ranges in the processor's docs; the payments "
              "on-call rota watches the alerts.", ANSWERED, "answer")
NEED_INFO = Decision(Outcome.NEED_INFO, "megan", "Megan Bowen", ASKED, QUESTION.text)
APPROVED = Decision(Outcome.APPROVE, "megan", "Megan Bowen", DECIDED, "Fine for two weeks.")
REJECTED = Decision(Outcome.REJECT, "megan", "Megan Bowen", DECIDED, "Use the private endpoint.")

INFO_REQUESTED = EXCEPTION.evolve(
    state=State.INFO_REQUESTED, version=2, updated_at=ASKED, decisions=(NEED_INFO,),
    notes=(QUESTION,),
)
ANSWERED_REQUEST = INFO_REQUESTED.evolve(
    state=State.PENDING, version=3, updated_at=ANSWERED, notes=(QUESTION, ANSWER),
)
APPROVED_REQUEST = ANSWERED_REQUEST.evolve(
    state=State.APPROVED, version=4, updated_at=DECIDED, decisions=(NEED_INFO, APPROVED),
)
AWAY_NOTE = Note("megan", "Megan Bowen", "Megan Bowen is away until Tue 01 Dec 2026 17:00 UTC; "
               "sent to Adele Vance", CREATED, "away")
ROUTED_AROUND_AWAY = EXCEPTION.evolve(deciders=("adele", "megan"), notes=(AWAY_NOTE,))
REJECTED_REQUEST = EXCEPTION.evolve(
    state=State.REJECTED, version=2, updated_at=DECIDED, decisions=(REJECTED,),
)
ACTIVE_REQUEST = APPROVED_REQUEST.evolve(state=State.ACTIVE)

# The lifecycle: Megan delegates to Adele; Alex asks to renew EXC-1; EXC-1 is reviewed.
DELEGATION = Delegation(
    id="DLG-megan-20261127094000", delegator_id="megan", delegate_id="adele",
    starts_at=CREATED, until=date(2026, 12, 24), ends_at=datetime(2026, 12, 25, tzinfo=UTC),
    created_by="megan",
)
DELEGATED = EXCEPTION.evolve(id="EXC-2", version=2, stand_ins=(("megan", "adele"),),
                             deciders=("adele",))
ON_BEHALF = Decision(Outcome.APPROVE, "adele", "Adele Vance", DECIDED, "Fine while Megan is "
                     "away.", on_behalf_id="megan", on_behalf_name="Megan Bowen")
DECIDED_ON_BEHALF = DELEGATED.evolve(state=State.ACTIVE, version=3, updated_at=DECIDED,
                                     decisions=(ON_BEHALF,))
RENEWAL = EXCEPTION.evolve(
    id="EXC-3", title="Renewal of EXC-1: " + EXCEPTION.title, renews="EXC-1",
    expires_on=date(2027, 1, 10), created_at=DECIDED, updated_at=DECIDED,
)
REVIEW = EXCEPTION.evolve(
    id="EXC-4", title="Review of EXC-1: " + EXCEPTION.title, reviews="EXC-1",
    created_at=DECIDED, updated_at=DECIDED,
)
KEPT = REVIEW.evolve(state=State.APPROVED, version=2, decisions=(
    Decision(Outcome.APPROVE, "megan", "Megan Bowen", DECIDED, "Still needed until the cut-over."),
))
WITHDRAWN_REQUEST = EXCEPTION.evolve(state=State.WITHDRAWN, version=2, updated_at=DECIDED)
REVOKED_AT = datetime(2026, 12, 3, 16, 20, tzinfo=UTC)
REVOKED_REQUEST = APPROVED_REQUEST.evolve(
    state=State.REVOKED, version=5, updated_at=REVOKED_AT,
    notes=(QUESTION, ANSWER, Note("megan", "Megan Bowen", "The private endpoint is live.",
                                  REVOKED_AT, "revocation")),
)
LAPSED_REQUEST = APPROVED_REQUEST.evolve(
    state=State.LAPSED, version=5, updated_at=datetime(2026, 12, 11, 0, 0, tzinfo=UTC),
)
# Teams ids in `refresh.userIds`: Megan's from her chat, Adele's in the Entra form (she has
# not written to the bot yet).
DECIDER_IDS = ["29:1megan-teams-id", "8:orgid:00000000-0000-0000-0000-0000000000022"]


def demo_subset() -> Catalog:
    """A few people and assets of the demo catalog, enough for every example."""
    return build_catalog(DEMO_SUBSET)


def example_cards(catalog: Catalog | None = None) -> dict[str, dict[str, Any]]:
    """Every card, by name, as the JSON the bot sends. Needs payments-api in `catalog`."""
    c = catalog or demo_subset()
    who = ["Megan Bowen", "Adele Vance"]
    ownership = Ownership(
        asset=c.assets["payments-api"], owner="Megan Bowen", backup="Adele Vance",
        team="Payments Platform", open_requests=[ANSWERED_REQUEST, ROLLBACK],
    )
    cards = {
        "exception_form": exception_form(c, TODAY, asset_name="payments-api"),
        "exception_form_errors": exception_form(
            c, TODAY, values={"asset_name": "payments-api", "title": "Public egress",
                              "risk": "high", "expires_on": "2027-06-01"},
            errors={"justification": "a justification is required",
                    "expires_on": "2027-06-01 is after the policy maximum of 90 days "
                                  "(2027-02-25)"},
        ),
        "rollback_form": rollback_form(c, asset_name="payments-api"),
        "rollback_form_errors": rollback_form(
            c, values={"asset_name": "payments-api", "title": "Roll back 4.2", "emergency": "true"},
            errors={"change_ref": "a change or incident reference is required",
                    "rollback_of": "say what is rolled back"},
        ),
        "confirmation": confirmation_card(EXCEPTION, c),
        "confirmation_undelivered": confirmation_card(
            ROLLBACK, c, delivery_problem="Teams answered 403 (the bot is not installed for her)"
        ),
        "confirmation_owner_away": confirmation_card(ROUTED_AROUND_AWAY, c),
        "approval_exception": approval_card(EXCEPTION, c),
        "approval_owner_away": approval_card(ROUTED_AROUND_AWAY, c),
        "approval_rollback": approval_card(ROLLBACK, c),
        "approval_after_answer": approval_card(ANSWERED_REQUEST, c),
        "approval_waiting_for_answer": approval_card(INFO_REQUESTED, c),
        "decided_approved": decided_card(APPROVED_REQUEST, c),
        "decided_rejected": decided_card(REJECTED_REQUEST, c),
        "decided_info_requested": decided_card(INFO_REQUESTED, c),
        "info_question": info_question_card(INFO_REQUESTED),
        "answer_sent": answer_sent_card(ANSWERED_REQUEST),
        "status": status_card(APPROVED_REQUEST, c),
        "who_owns": who_owns_card(ownership),
        "who_owns_in_channel": who_owns_card(
            replace(ownership, people=(c.people["megan"], c.people["adele"])), mention=True
        ),
        "asset_choice": card_for_error(AmbiguousAsset("kv", [
            AssetChoice("kv-payments-prod", "azure-key-vault", "Megan Bowen"),
            AssetChoice("kv-platform-shared", "azure-key-vault", "Isaiah Langer"),
        ], matched=2)),
        "what_megan_owns": holdings_card(what_person_owns(c, "megan")),
        "my_requests": my_requests_card([ANSWERED_REQUEST, ROLLBACK]),
        "my_requests_empty": my_requests_card([]),
        "my_approvals": my_approvals_card([ANSWERED_REQUEST, ROLLBACK]),
        "help": help_card(),
        "not_a_decider": card_for_error(NotADecider("EXC-1", who)),
        "self_decision": card_for_error(SelfDecision("EXC-1", who)),
        "already_decided": card_for_error(AlreadyDecided("EXC-1", State.APPROVED, APPROVED)),
        "unknown_asset": card_for_error(
            UnknownAsset("paymnts-api", ["payments-api", "kv-payments-prod"])
        ),
        "unknown_request": card_for_error(UnknownRequest("EXC-99")),
        "invalid_request": card_for_error(InvalidRequest(
            {"title": "a title is required", "expires_on": "the expiry date must be in the future"}
        )),
        "error": error_card("7f3c2a91"),
        "status_active": status_card(ACTIVE_REQUEST, c),
        "approval_on_behalf": approval_card(DELEGATED, c),
        "decided_on_behalf": decided_card(DECIDED_ON_BEHALF, c),
        "status_on_behalf": status_card(DELEGATED, c),
        "approval_renewal": approval_card(RENEWAL, c),
        "approval_review": approval_card(REVIEW, c),
        "decided_review_kept": decided_card(KEPT, c),
        "renewal_asked": renewal_requested_card(RENEWAL, ACTIVE_REQUEST, c),
        "renewal_cap_reached": card_for_error(
            RenewalCapReached(ACTIVE_REQUEST, granted=2, cap=2, tier="high")),
        "delegation_on": delegation_started_card(DELEGATION, [DELEGATED], c),
        "delegation_off": delegation_ended_card(DELEGATION, [DELEGATED], c),
        "delegation_status": delegation_status_card(DELEGATION, [], c),
        "delegation_status_none": delegation_status_card(None, [DELEGATION], c),
        # Views of a request's card (cards.views): what each reader sees, with the refresh.
        "view_status_for_others": view_card(c, EXCEPTION, View.STATUS, DECIDER_IDS),
        "view_decide_refreshed": view_card(c, ANSWERED_REQUEST, View.DECIDE, DECIDER_IDS),
        "view_final_withdrawn": view_card(c, WITHDRAWN_REQUEST, View.FINAL),
        "view_final_revoked": view_card(c, REVOKED_REQUEST, View.FINAL),
        "view_final_lapsed": view_card(c, LAPSED_REQUEST, View.FINAL),
        "channel_overdue": overdue_card(c, EXCEPTION, DECIDER_IDS),
        "moved_by_catalog": moved_card(
            EXCEPTION.evolve(deciders=("adele",), version=2), c, "Adele Vance",
            "catalog import by jdoe"),
    }
    return {name: card_to_dict(card) for name, card in cards.items()}
