"""The request forms: a policy exception and a rollback, refilled with errors after a refusal."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, timedelta

from adaptive_cards import types
from adaptive_cards.card import (
    ActionExecute,
    AdaptiveCard,
    InputChoice,
    InputChoiceSet,
    InputDate,
    InputText,
    InputToggle,
)

from approvals.catalog import Catalog
from approvals.errors import UnknownAsset
from approvals.model import RequestKind, Risk, Tier
from approvals.policies import DEFAULT_POLICY, MAX_TEXT, MAX_TITLE, Policy
from cards import fields as f
from cards.layout import Element, field_error, heading, new_card, note
from cards.text import format_date, join_names, shorten
from cards.verbs import REQUEST_SUBMIT, TITLE_SUBMIT

MAX_ASSET_CHOICES = 100  # a long catalog still fits the card; the named asset is always offered
REFILL = 6000  # byte budget of one refilled text (2000 characters of plain text fit)

MaxDays = Callable[[Tier], int]


class _Form:
    """Accumulates inputs, each followed by its error line when the last submit had one."""

    def __init__(self, values: Mapping[str, str] | None, errors: Mapping[str, str] | None):
        self.values = dict(values or {})
        self.errors = dict(errors or {})
        self.body: list[Element] = []

    def value(self, field: str, budget: int = REFILL) -> str | None:
        return shorten(self.values[field], budget) if self.values.get(field) else None

    def add(self, element: Element, field: str) -> None:
        self.body.append(element)
        if field in self.errors:
            self.body.append(field_error(self.errors.pop(field)))

    def text(
        self, field: str, placeholder: str, multiline: bool = False, required: bool = True
    ) -> None:
        self.add(InputText(
            id=field, label=f.label_of(field), placeholder=placeholder,
            is_required=required or None,
            error_message=f"{f.label_of(field)} is required" if required else None,
            max_length=MAX_TITLE if field == f.TITLE else MAX_TEXT,
            is_multiline=multiline or None, value=self.value(field),
        ), field)


def _asset_choices(catalog: Catalog, selected: str | None) -> list[InputChoice]:
    names = sorted(catalog.assets)[:MAX_ASSET_CHOICES]
    if selected and selected not in names:
        names = [selected, *names[: MAX_ASSET_CHOICES - 1]]
    return [InputChoice(title=name, value=name) for name in names]


def _selected_asset(catalog: Catalog, name: str | None) -> str | None:
    if not name:
        return None
    try:
        return catalog.find_asset(name).name
    except UnknownAsset:
        return None


def _begin(
    kind: RequestKind, catalog: Catalog, asset_name: str | None,
    values: Mapping[str, str] | None, errors: Mapping[str, str] | None,
) -> tuple[_Form, str | None]:
    form = _Form(values, errors)
    selected = _selected_asset(catalog, form.values.get(f.ASSET) or asset_name)
    what = "a policy exception" if kind is RequestKind.EXCEPTION else "a rollback"
    form.body += [
        heading(f"Request {what}"),
        note("The asset's owner gets your request and decides on it here in Teams.", subtle=True),
    ]
    if form.errors:
        form.body.append(note("Please fix the fields marked in red.", types.Colors.ATTENTION))
    for field in [name for name in form.errors if name not in f.FORM_FIELDS[kind]]:
        form.body.append(field_error(f"{f.label_of(field)}: {form.errors.pop(field)}"))
    form.add(InputChoiceSet(
        id=f.ASSET, label=f.label_of(f.ASSET), style=types.ChoiceInputStyle.COMPACT,
        choices=_asset_choices(catalog, selected), value=selected, is_required=True,
        placeholder="Choose an asset", error_message="Choose an asset",
    ), f.ASSET)
    return form, selected


def _finish(form: _Form, kind: RequestKind) -> AdaptiveCard:
    submit = ActionExecute(
        title=TITLE_SUBMIT, verb=REQUEST_SUBMIT, data={f.KIND: kind.value},
        style=types.ActionStyle.POSITIVE,
    )
    return new_card(form.body, [submit])


def _expiry_hint(today: date, tier: Tier | None, max_days: MaxDays) -> tuple[str, date]:
    """The policy's limit in words, and the latest date the date picker offers."""
    if tier is not None:
        days = max_days(tier)
        latest = today + timedelta(days=days)
        hint = f"At most {days} days for a tier {tier.value} asset: on or before {latest}."
        return hint, latest
    tiers_by_days: dict[int, list[str]] = {}
    for t in Tier:
        tiers_by_days.setdefault(max_days(t), []).append(t.value)
    latest = today + timedelta(days=max(tiers_by_days))
    if len(tiers_by_days) == 1:
        return f"At most {max(tiers_by_days)} days: on or before {format_date(latest)}.", latest
    limits = [
        f"{days} days ({format_date(today + timedelta(days=days))}) for tier {join_names(tiers)}"
        for days, tiers in sorted(tiers_by_days.items(), reverse=True)
    ]
    return "At most " + "; ".join(limits) + ".", latest


def exception_form(
    catalog: Catalog,
    today: date,
    policy: Policy | MaxDays = DEFAULT_POLICY,
    *,
    asset_name: str | None = None,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
) -> AdaptiveCard:
    """The form for a policy exception; `values` refill it and `errors` (by field) show in red.

    `policy` (a Policy, or its `max_days`) sets the expiry hint and the date picker's maximum."""
    max_days = policy.max_days if isinstance(policy, Policy) else policy
    form, selected = _begin(RequestKind.EXCEPTION, catalog, asset_name, values, errors)
    form.text(f.TITLE, "e.g. Allow public network access for 14 days")
    form.text(f.JUSTIFICATION, "Why is the exception needed?", multiline=True)
    risk = form.values.get(f.RISK, "").lower()
    form.add(InputChoiceSet(
        id=f.RISK, label=f.label_of(f.RISK), style=types.ChoiceInputStyle.EXPANDED,
        choices=[InputChoice(title=r.value.capitalize(), value=r.value) for r in Risk],
        value=risk if risk in {r.value for r in Risk} else None, is_required=True,
        error_message="Choose a risk level",
    ), f.RISK)
    form.text(f.CONTROLS, "What limits the risk meanwhile?", multiline=True, required=False)
    tier = catalog.assets[selected].tier if selected else None
    hint, latest = _expiry_hint(today, tier, max_days)
    form.add(InputDate(
        id=f.EXPIRES_ON, label=f.label_of(f.EXPIRES_ON), max=format_date(latest),
        value=_iso_date(form.values.get(f.EXPIRES_ON)), is_required=True,
        error_message="Choose an expiry date",
    ), f.EXPIRES_ON)
    form.body.append(note(hint, subtle=True))
    return _finish(form, RequestKind.EXCEPTION)


def rollback_form(
    catalog: Catalog,
    *,
    asset_name: str | None = None,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
) -> AdaptiveCard:
    """The form for a rollback; `values` refill it and `errors` (by field) show in red."""
    form, _ = _begin(RequestKind.ROLLBACK, catalog, asset_name, values, errors)
    form.text(f.CHANGE_REF, "e.g. CHG0012345 or INC0012345")
    form.text(f.ROLLBACK_OF, "Which change, deployment or setting goes back?", multiline=True)
    form.text(f.TITLE, "e.g. Roll back payments-api release 4.2")
    form.text(f.JUSTIFICATION, "Why roll back?", multiline=True)
    emergency = form.values.get(f.EMERGENCY, "").lower() == "true"
    form.add(InputToggle(
        id=f.EMERGENCY, title="Emergency: roll back now, the owner reviews afterwards",
        value="true" if emergency else "false", value_on="true", value_off="false", wrap=True,
    ), f.EMERGENCY)
    return _finish(form, RequestKind.ROLLBACK)


def request_form(
    kind: RequestKind,
    catalog: Catalog,
    today: date,
    policy: Policy | MaxDays = DEFAULT_POLICY,
    *,
    asset_name: str | None = None,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
) -> AdaptiveCard:
    """The form for `kind`, first or again after a refused submit (`values`, `errors`)."""
    if kind is RequestKind.EXCEPTION:
        return exception_form(
            catalog, today, policy, asset_name=asset_name, values=values, errors=errors
        )
    return rollback_form(catalog, asset_name=asset_name, values=values, errors=errors)


def _iso_date(text: str | None) -> str | None:
    try:
        return date.fromisoformat(text).isoformat() if text else None
    except ValueError:
        return None
