"""Teams @mentions in a card: `<at>Name</at>` in a TextBlock, and an entity in `msteams` saying
who it is (by Entra object id), so Teams notifies the person mentioned."""

from __future__ import annotations

from collections.abc import Sequence

from adaptive_cards import types
from adaptive_cards.card import AdaptiveCard

from approvals.model import Person


class Mentioned(types.TypeBaseModel):
    id: str
    name: str


class Mention(types.TypeBaseModel):
    type: str = "mention"
    text: str
    mentioned: Mentioned


class TeamsWithMentions(types.MSTeams):
    """The card's `msteams` property with the `entities` Teams reads mentions from."""

    width: types.MSTeamsCardWidth | None = None
    entities: list[Mention]


def mention_text(person: Person) -> str:
    return f"<at>{person.name}</at>"


def with_mentions(card: AdaptiveCard, people: Sequence[Person]) -> AdaptiveCard:
    """`card`, telling Teams that each `<at>name</at>` in it is that person."""
    entities = [
        Mention(text=mention_text(p), mentioned=Mentioned(id=p.aad_object_id, name=p.name))
        for p in people
    ]
    if entities:
        card.msteams = TeamsWithMentions(entities=entities)
    return card
