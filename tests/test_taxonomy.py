"""Taxonomy: the built-in themes, agreement with the annotation guide, user files, errors, CLI."""

from __future__ import annotations

import json
import re

import pytest
from conftest import BUILTIN_IDS, GUIDE, run_cli
from hypothesis import given, settings
from hypothesis import strategies as st

from customs_topics import SourceError, Taxonomy, TaxonomyError, Theme, load_taxonomy
from customs_topics.errors import InputError


def guide_sections() -> dict[str, dict[str, object]]:
    """Parse the guide's '## id — Name' sections: name, definition and 'Includes' items."""
    text = GUIDE.read_text("utf-8")
    out: dict[str, dict[str, object]] = {}
    for section in re.split(r"^## ", text, flags=re.M)[1:]:
        head, _, rest = section.partition("\n")
        m = re.fullmatch(r"([a-z_]+) — (.+)", head.strip())
        if not m:
            continue
        definition = " ".join(rest.split("\n- ")[0].split())
        inc = re.search(r"^- Includes: (.*?)(?=^- |^$|\Z)", rest, re.S | re.M)
        items = [" ".join(i.split()).rstrip(".") for i in inc.group(1).split(";")] if inc else []
        out[m.group(1)] = {"name": m.group(2).strip(), "definition": definition, "includes": items}
    return out


def test_builtin_taxonomy_ids_in_order_with_definitions():
    tax = load_taxonomy()
    assert isinstance(tax, Taxonomy)
    assert tax.ids == BUILTIN_IDS
    assert len(tax) == 4
    for theme in tax.themes:
        assert isinstance(theme, Theme)
        assert theme.name.strip() and theme.definition.strip()
        assert theme.includes and all(i.strip() for i in theme.includes)
    assert "facilitation" in tax and "food_safety" not in tax
    assert tax["health_goods"].name == "Health goods"
    with pytest.raises(KeyError):
        tax["food_safety"]


def test_guide_parses_into_the_four_themes():
    sections = guide_sections()
    assert tuple(sections) == BUILTIN_IDS
    assert all(s["includes"] for s in sections.values())


def test_taxonomy_agrees_with_annotation_guide():
    tax = load_taxonomy()
    sections = guide_sections()
    assert tuple(sections) == tax.ids
    for theme_id, section in sections.items():
        theme = tax[theme_id]
        assert theme.name == section["name"]
        assert theme.definition == section["definition"]
        for item in section["includes"]:
            assert item in theme.includes, f"{theme_id}: guide item {item!r} missing from taxonomy includes"


def guide_decisions() -> list[str]:
    """The guide's 'Decisions on recurring cases' bullets, Markdown removed, one line each."""
    text = GUIDE.read_text("utf-8")
    section = text.split("## Decisions on recurring cases", 1)[1].split("\n## ", 1)[0]
    bullets = re.split(r"^- ", section, flags=re.M)[1:]
    return [" ".join(b.replace("**", "").replace("`", "").split()) for b in bullets]


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9_]+", text.lower())


def test_taxonomy_decisions_follow_the_guide_one_for_one():
    """Every decision of the guide has its counterpart in the taxonomy file, in order
    (the taxonomy words it more tersely, so the guide's key words must appear in it)."""
    decisions = load_taxonomy().decisions
    bullets = guide_decisions()
    assert len(bullets) >= 12
    assert len(decisions) == len(bullets)
    for bullet, decision in zip(bullets, decisions, strict=True):
        head = _words(bullet.split("(")[0].split(":")[0].split(".")[0])[:3]
        assert all(w in _words(decision) for w in head), (bullet, decision)
        # The labels each rule assigns (brackets hold examples and asides, left out).
        rule, terse = (re.sub(r"\([^)]*\)", "", text) for text in (bullet, decision))
        assert {w for w in _words(rule) if w in BUILTIN_IDS} == {w for w in _words(terse) if w in BUILTIN_IDS}, bullet
    joined = " ".join(decisions).lower()
    for case in ("forced-labour", "import alerts", "captagon"):
        assert case in joined


def test_to_dict_round_trips():
    tax = load_taxonomy()
    again = Taxonomy.from_dict(json.loads(json.dumps(tax.to_dict())))
    assert again == tax


def write(tmp_path, data, name="tax.json"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), "utf-8")
    return path


THEME = {"id": "food_safety", "name": "Food safety", "definition": "SPS controls on food at the border."}


def test_extends_builtin_adds_a_theme(tmp_path):
    path = write(tmp_path, {"extends": "customs-topics", "themes": [THEME], "decisions": ["Food: new theme."]})
    tax = load_taxonomy(path)
    assert tax.ids == (*BUILTIN_IDS, "food_safety")
    assert tax["food_safety"].definition == THEME["definition"]
    assert tax["illicit_trade"] == load_taxonomy()["illicit_trade"]
    assert tax.decisions[-1] == "Food: new theme."
    assert len(tax.decisions) == len(load_taxonomy().decisions) + 1


def test_user_file_without_extends_replaces_builtin(tmp_path):
    tax = load_taxonomy(write(tmp_path, {"themes": [THEME, {**THEME, "id": "plant_health"}]}))
    assert tax.ids == ("food_safety", "plant_health")


def test_utf8_bom_taxonomy_file(tmp_path):
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"themes": [THEME]}).encode())
    assert load_taxonomy(path).ids == ("food_safety",)


BASE = {"name": "N", "definition": "D"}


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        ({"extends": "customs-topics", "themes": [{"id": "illicit_trade", **BASE}]}, "themes[0].id"),
        ({"themes": [{"id": "a", **BASE}, {"id": "a", **BASE}]}, "themes[1].id"),
        ({"themes": [{"id": "a", "name": "N", "definition": "   "}]}, "themes[0].definition"),
        ({"themes": [{"id": "a", "name": "N"}]}, "themes[0].definition"),
        ({"themes": [{"id": "a", "name": "", "definition": "D"}]}, "themes[0].name"),
        ({"themes": [{"id": "Bad-Id", **BASE}]}, "themes[0].id"),
        ({"themes": [{"id": "1abc", **BASE}]}, "themes[0].id"),
        ({"themes": [{"id": 7, **BASE}]}, "themes[0].id"),
        ({"themes": [{"name": "N", "definition": "D"}]}, "themes[0].id"),
        ({"themes": {"id": "a", **BASE}}, "themes"),
        ({"themes": []}, "themes"),
        ({"name": "no themes"}, "themes"),
        ({"themes": ["a"]}, "themes[0]"),
        ({"themes": [{"id": "a", **BASE, "includes": "x"}]}, "themes[0].includes"),
        ({"themes": [{"id": "a", **BASE, "excludes": [""]}]}, "themes[0].excludes"),
        ({"themes": [{"id": "a", **BASE}], "decisions": "x"}, "decisions"),
        ({"extends": "something-else", "themes": [{"id": "a", **BASE}]}, "extends"),
    ],
)
def test_taxonomy_errors_name_file_and_field(tmp_path, doc, field):
    path = write(tmp_path, doc)
    with pytest.raises(TaxonomyError) as info:
        load_taxonomy(path)
    err = info.value
    assert isinstance(err, ValueError) and isinstance(err, InputError)
    assert err.source == str(path) and err.field == field
    assert str(path) in str(err) and repr(field) in str(err)


def test_invalid_json_names_file_and_line(tmp_path):
    path = write(tmp_path, '{"themes": [\n  {"id": "a",}\n]}')
    with pytest.raises(TaxonomyError) as info:
        load_taxonomy(path)
    assert info.value.source == str(path) and info.value.line == 2
    assert f"{path}:2" in str(info.value) and "JSON" in str(info.value)


@pytest.mark.parametrize("doc", [[{"id": "a", **BASE}], "a string", 3, None])
def test_top_level_not_an_object(tmp_path, doc):
    path = write(tmp_path, doc)
    with pytest.raises(TaxonomyError) as info:
        load_taxonomy(path)
    assert info.value.source == str(path)


def test_not_utf8_taxonomy(tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes(b'{"themes": [{"id": "a", "name": "\xe9", "definition": "d"}]}')
    with pytest.raises(TaxonomyError) as info:
        load_taxonomy(path)
    assert info.value.source == str(path)


def test_missing_taxonomy_file_is_source_error(tmp_path):
    with pytest.raises(SourceError):
        load_taxonomy(tmp_path / "missing.json")
    with pytest.raises(SourceError):
        load_taxonomy(tmp_path)


# --------------------------------------------------------------------------- #
# CLI


def test_cli_taxonomy_prints_the_four_themes():
    res = run_cli("taxonomy")
    assert res.returncode == 0, res.stderr
    out = res.stdout.decode("utf-8")
    tax = load_taxonomy()
    positions = [out.index(f"{t.id} - {t.name}") for t in tax.themes]
    assert positions == sorted(positions)
    for theme in tax.themes:
        assert theme.definition in out


def test_cli_taxonomy_json_is_valid_json():
    res = run_cli("taxonomy", "--json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert [t["id"] for t in doc["themes"]] == list(BUILTIN_IDS)
    assert Taxonomy.from_dict(doc) == load_taxonomy()


def test_cli_taxonomy_with_user_file(tmp_path):
    path = write(tmp_path, {"extends": "customs-topics", "themes": [THEME]})
    res = run_cli("taxonomy", "--taxonomy", path, "--json")
    assert res.returncode == 0
    assert [t["id"] for t in json.loads(res.stdout)["themes"]] == [*BUILTIN_IDS, "food_safety"]


def test_cli_taxonomy_bad_file_exits_2_with_one_line(tmp_path):
    path = write(tmp_path, {"themes": [{"id": "Bad-Id", **BASE}]})
    res = run_cli("taxonomy", "--taxonomy", path)
    assert res.returncode == 2
    assert res.stdout == b""
    err = res.stderr.decode()
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert str(path) in err and "themes[0].id" in err


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5) | st.sampled_from(["a", "illicit_trade", "x_1"]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["id", "name", "definition", "includes", "excludes", "themes", "decisions", "extends"]),
            inner,
            max_size=5,
        )
    ),
    max_leaves=15,
)


@settings(max_examples=300, deadline=None)
@given(_json)
def test_any_json_document_gives_a_taxonomy_or_taxonomy_error(tmp_path_factory, doc):
    path = tmp_path_factory.mktemp("fuzz") / "t.json"
    path.write_text(json.dumps(doc), "utf-8")
    try:
        tax = load_taxonomy(path)
    except TaxonomyError as exc:
        assert exc.source == str(path)
        return
    assert len(tax) >= 1 and len(set(tax.ids)) == len(tax.ids)
