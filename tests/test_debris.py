"""Page debris: menus, bylines and headline lists are left out before scoring; stories are not."""

from __future__ import annotations

import numpy as np
import pytest

from customs_topics import Article
from customs_topics.debris import drop_debris, is_debris_line

STORY = [
    "Customs Officers Seize 1.2 Tonnes of Cocaine in Banana Containers",
    "Release Date: March 12, 2024",
    "PORT OF SPAIN - Customs officers at the container terminal seized 1.2 tonnes of cocaine hidden in "
    "boxes of bananas shipped from Guayaquil, the Customs and Excise Division said on Tuesday.",
    "The drugs, with an estimated street value of 40 million dollars, were found after a scanner image "
    "showed anomalies in two refrigerated containers.",
]
MENU = ["Skip to main content", "Home", "About Us", "Newsroom", "Media Releases", "Contact"]
RELATED = [
    "Related Stories",
    "Single Window Goes Live for All Importers From Next Month",
    "Customs Launches Authorised Economic Operator Programme for Exporters",
    "Officials Meet Regional Partners on Transit Corridor Reforms",
]
FOOTER = ["Share | Print | Email", "© 2024 Customs and Excise Division"]
PAGE = "\n".join(MENU + STORY + RELATED + FOOTER)


def test_page_keeps_its_story_and_headline_and_loses_menus_and_related_list():
    kept = drop_debris(PAGE).splitlines()
    assert kept == STORY[:1] + STORY[2:]


@pytest.mark.parametrize(
    "line, debris",
    [
        ("Home", True),
        ("Home > News > Press releases", True),
        ("Posted on 4/03/2020 by Press Office", True),
        ("Single Window Goes Live for All Importers From Next Month", True),
        ("The single window goes live for all importers next month.", False),
        ('"We will not let smugglers use our ports," the Commissioner said.', False),
        ("", False),
    ],
)
def test_is_debris_line(line, debris):
    assert is_debris_line(line) is debris


@pytest.mark.parametrize(
    "body",
    [
        "Officers seized 5 kg of heroin at the airport. The passenger was arrested.",
        "Officers seized 5 kg of heroin at the airport.\n\nThe passenger was arrested.",
        "Cocaine Seized at Port\nOfficers seized 5 kg.",  # two lines: its own content
        "Home\nNews\nContact",  # nothing but debris: kept rather than emptied
        "",
    ],
)
def test_clean_text_is_left_alone(body):
    assert drop_debris(body) == body


def test_corpus_bodies_lose_no_sentence(corpus):
    """The labelled summaries are prose: only blank or one-word lines may go."""
    for a in corpus:
        gone = set(a.body.splitlines()) - set(drop_debris(a.body).splitlines())
        assert all(len(line.split()) < 4 for line in gone), (a.id, gone)


def test_model_scores_a_page_as_its_story_without_the_debris(model):
    story = Article.from_text(STORY[0], "\n".join(STORY[2:]))
    page = Article.from_text(STORY[0], "\n".join(MENU + STORY[1:] + RELATED + FOOTER))
    assert model.drop_debris is True
    np.testing.assert_allclose(model.predict_proba(page), model.predict_proba(story))
    assert model.predict(page) == [["illicit_trade"]]
    # Without the filter the facilitation headlines of the related list count as sentences.
    raw = model.predict_proba(page)
    model_kept = type(model)(**{**model.get_params(), "drop_debris": False})
    model_kept.__dict__.update({k: v for k, v in model.__dict__.items() if k.endswith("_") or k == "_scorer"})
    assert not np.allclose(model_kept.predict_proba(page), raw)


def test_explanation_sentence_comes_from_the_story(model):
    page = Article.from_text(STORY[0], "\n".join(MENU + STORY[1:] + RELATED + FOOTER))
    [tag] = model.tag(page, explain=3)
    sentence = tag.explanation["illicit_trade"]["sentence"]
    assert sentence is None or sentence in " ".join(STORY)
