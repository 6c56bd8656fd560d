"""Finding the asset a person means, on the demo catalog with the app's fuzzy ranker."""

from __future__ import annotations

import pytest

from approvals.asset_search import AssetIndex, DifflibRanker
from approvals.catalog import Catalog, build_catalog
from approvals.errors import AmbiguousAsset, UnknownAsset
from catalog.loader import load_catalog
from catalog.search import RapidfuzzRanker


@pytest.fixture(scope="module")
def demo() -> Catalog:
    return load_catalog()


@pytest.mark.parametrize(("text", "asset"), [
    ("payments-api", "payments-api"),  # name
    ("Pay-API", "payments-api"),  # alias, any case
    ("`payments-api`", "payments-api"),  # quoted
    ("paymnts-api", "payments-api"),  # a letter missing
    ("payment api", "payments-api"),  # words instead of the dash
    ("sub-sandbx", "sub-sandbox"),
])
def test_a_clear_name_gives_one_asset(demo: Catalog, text: str, asset: str) -> None:
    found = demo.search(text)
    assert found.clear is not None and found.clear.name == asset
    assert demo.find_asset(text).name == asset


@pytest.mark.parametrize(("text", "expected"), [
    ("kv", {"kv-payments-prod", "kv-platform-shared"}),  # a word of two names
    ("aks", {"aks-platform-dev", "aks-platform-prod"}),
    ("key-vault", {"kv-payments-prod", "kv-platform-shared"}),  # a kind
])
def test_a_name_several_assets_answer_to_offers_them_all(
    demo: Catalog, text: str, expected: set[str]
) -> None:
    found = demo.search(text)
    assert found.clear is None
    assert {a.name for a in found.choices} == expected and found.matched == len(expected)
    with pytest.raises(AmbiguousAsset) as ambiguous:
        demo.find_asset(text)
    assert {c.name for c in ambiguous.value.choices} == expected
    assert all(c.owner for c in ambiguous.value.choices)


@pytest.mark.parametrize(("text", "asset"), [
    ("kv payments", "kv-payments-prod"),  # every word of one name
    ("gpt", "aoai-support-gpt"),  # a word only one name has
])
def test_a_word_only_one_asset_has_is_offered_not_assumed(
    demo: Catalog, text: str, asset: str
) -> None:
    found = demo.search(text)
    assert found.clear is None and [a.name for a in found.choices] == [asset]
    with pytest.raises(AmbiguousAsset):
        demo.find_asset(text)


def test_a_tag_on_many_assets_shows_the_first_few_and_counts_the_rest() -> None:
    catalog = build_catalog({
        "people": [{"id": "megan", "name": "Megan Bowen", "email": "m@example.com",
                    "aad_object_id": "00000000-0000-0000-0000-000000000021"}],
        "assets": [{"name": f"legacy-app-{i}", "owner": "megan", "tags": ["legacy"]}
                   for i in range(8)],
    }, RapidfuzzRanker())
    found = catalog.search("legacy")
    assert found.matched == 8 and len(found.choices) == 5


def test_a_longer_name_is_another_asset_not_a_typo(demo: Catalog) -> None:
    found = demo.search("payments-web")
    assert found.clear is None
    assert "payments-api" in {a.name for a in found.choices}


def test_nothing_close_gives_no_asset_and_no_choice(demo: Catalog) -> None:
    found = demo.search("zzzz")
    assert (found.clear, found.choices, found.hints) == (None, (), ())
    with pytest.raises(UnknownAsset) as unknown:
        demo.find_asset("zzzz")
    assert not isinstance(unknown.value, AmbiguousAsset) and unknown.value.suggestions == []


def test_a_far_name_gets_hints_but_no_choice(demo: Catalog) -> None:
    found = demo.search("paymentz-exprt")
    assert found.clear is None
    assert "stpaymentsexports" in found.hints + tuple(a.name for a in found.choices)


def test_blank_text_matches_nothing(demo: Catalog) -> None:
    assert demo.search("  ").clear is None and demo.search("  ").choices == ()


def test_the_standard_library_ranker_gives_the_same_clear_answers(demo: Catalog) -> None:
    index = AssetIndex(demo.assets, DifflibRanker())
    for text in ("paymnts-api", "payments-api", "pay-api"):
        assert index.search(text).clear == demo.search(text).clear
