"""The request flow: find the asset (with suggestions when it is missing or unknown), show the form.

The form's Submit arrives as a card action, which the bot hands to the approvals service.
"""

from __future__ import annotations

from typing import Any

from botbuilder.core import CardFactory, MessageFactory
from botbuilder.dialogs import (
    ComponentDialog,
    DialogTurnResult,
    WaterfallDialog,
    WaterfallStepContext,
)
from botbuilder.dialogs.prompts import PromptOptions, PromptValidatorContext, TextPrompt
from botbuilder.schema import ActionTypes, Activity, CardAction, TextFormatTypes

from approvals.catalog import Catalog
from approvals.errors import UnknownAsset
from approvals.model import RequestKind
from approvals.policies import Policy
from approvals.ports import Clock
from cards.forms import request_form
from cards.layout import literal
from cards.render import card_to_dict
from cards.text import single_line

ASSET_PROMPT = "asset_prompt"
CANCEL_WORDS = {"cancel", "stop", "never mind", "nevermind", "quit"}
CANCELLED = "\u0000cancelled"


def _found_as(typed: str | None, asset: str) -> str | None:
    """A line above the form when the asset named in the command is not spelt as typed (a typo
    or an alias), so the requester sees which asset the form is for before filling it in."""
    if not typed or single_line(typed).lower() == asset.lower():
        return None
    return (f"You typed '{literal(typed)}': this form is for {asset}. "
            "Choose another asset in the form if that is not the one you meant.")


def _plain(activity: Activity) -> Activity:
    """Teams shows the text as it is: it may quote what a person typed (`literal`), and a
    message's text is Markdown otherwise: `[x](https://evil)` would be a link (backslash escapes
    are not honoured by every client)."""
    activity.text_format = TextFormatTypes.plain
    return activity


def _suggestions(text: str, names: list[str]) -> Activity:
    return _plain(MessageFactory.suggested_actions(
        [CardAction(type=ActionTypes.im_back, title=n, value=n) for n in names], text
    ))


class RequestDialog(ComponentDialog):
    def __init__(self, catalog: Catalog, clock: Clock, policy: Policy) -> None:
        super().__init__(RequestDialog.__name__)
        self.catalog = catalog
        self.clock = clock
        self.policy = policy
        self.add_dialog(TextPrompt(ASSET_PROMPT, self._validate_asset))
        self.add_dialog(WaterfallDialog("request_steps", [self._ask_asset, self._show_form]))
        self.initial_dialog_id = "request_steps"

    async def _ask_asset(self, step: WaterfallStepContext) -> DialogTurnResult:
        options: dict[str, Any] = step.options if isinstance(step.options, dict) else {}
        step.values["kind"] = options.get("kind", "exception")
        named = str(options.get("asset") or "").strip()
        examples = [a.name for a in list(self.catalog.assets.values())[:4]]
        if named:
            try:
                found = self.catalog.find_asset(named).name
                step.values["typed"] = named
                return await step.next(found)
            except UnknownAsset as unknown:
                close = unknown.suggestions or examples
                prompt = _suggestions(
                    f"No asset named '{literal(named)}'. Did you mean one of these? "
                    "Type the asset's name, or cancel.", close)
        else:
            prompt = _suggestions(
                f"Which asset is this {step.values['kind']} for? Type its name "
                "(or cancel).", examples)
        retry = _suggestions("I don't know that asset. Type one of these names, or cancel.",
                             examples)
        return await step.prompt(ASSET_PROMPT, PromptOptions(prompt=prompt, retry_prompt=retry))

    async def _validate_asset(self, prompt_context: PromptValidatorContext) -> bool:
        text = str(prompt_context.recognized.value or "").strip()
        if text.lower() in CANCEL_WORDS:
            prompt_context.recognized.value = CANCELLED
            return True
        try:
            prompt_context.recognized.value = self.catalog.find_asset(text).name
            return True
        except UnknownAsset as unknown:
            close = unknown.suggestions or [a.name for a in list(self.catalog.assets.values())[:4]]
            prompt_context.options.retry_prompt = _suggestions(
                f"No asset named '{literal(text)}'. Did you mean one of these? Type the name, "
                "or cancel.", close)
            return False

    async def _show_form(self, step: WaterfallStepContext) -> DialogTurnResult:
        asset = str(step.result)
        if asset == CANCELLED:
            await step.context.send_activity("Cancelled: no request was made.")
            return await step.end_dialog(None)
        card = card_to_dict(request_form(
            RequestKind(step.values["kind"]), self.catalog, self.clock.now().date(), self.policy,
            asset_name=asset,
        ))
        await step.context.send_activity(_plain(MessageFactory.attachment(
            CardFactory.adaptive_card(card), text=_found_as(step.values.get("typed"), asset))))
        return await step.end_dialog(asset)
