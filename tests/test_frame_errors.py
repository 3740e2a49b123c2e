"""tag_frame's ``on_error``: one bad cell never costs the good rows, and the message is plain.

The frames look like what analysts load from exports: an id column, a title,
a body, a date; the bad cells are what such exports really contain (a number
where a headline failed to parse, raw bytes, a list from a JSON column, a
numpy scalar from arithmetic on the column).
"""

from __future__ import annotations

import logging

import numpy as np
import pytest

from customs_topics import Article, InputError

pd = pytest.importorskip("pandas")

from customs_topics.frame import output_columns, tag_frame  # noqa: E402

THEMES = ["illicit_trade", "strategic_trade_control", "facilitation", "health_goods"]

ROWS = [
    (
        "n-101",
        "Customs seize 2.3 tonnes of cocaine hidden in banana containers",
        "Officers at the port of Antwerp found the drugs during a targeted inspection of refrigerated "
        "containers arriving from Ecuador. Two people were arrested.",
    ),
    (
        "n-102",
        "Single window cuts clearance time for traders to under two hours",
        "The new electronic single window lets importers lodge one declaration for customs, health and "
        "agriculture checks; average release time fell from nine hours to under two.",
    ),
    (
        "n-103",
        "Dual-use export licence refused for machine tools bound for a sanctioned end user",
        "The export control authority refused the licence after finding that the five-axis machine tools "
        "were destined for a military end user listed under the sanctions regulation.",
    ),
    (
        "n-104",
        "Fake COVID-19 test kits seized at the airport",
        "Customs seized 12,000 counterfeit COVID-19 antigen test kits and 3,000 falsified vaccine "
        "certificates in air cargo declared as stationery.",
    ),
]


@pytest.fixture()
def frame() -> pd.DataFrame:
    ids, titles, bodies = zip(*ROWS)
    df = pd.DataFrame(
        {"id": list(ids), "title": list(titles), "body": list(bodies), "date": pd.date_range("2024-03-01", periods=4)},
        index=pd.Index([1001, 1002, 1003, 1004], name="row"),
    )
    return df.astype({"title": object, "body": object})


def _with_bad_cells(df: pd.DataFrame) -> pd.DataFrame:
    bad = df.copy()
    bad.loc[1002, "title"] = b"Single\xa0window"  # raw Latin-1 bytes from a bad decode
    bad.loc[1003, "body"] = np.int64(404)  # a numpy scalar, e.g. an HTTP status in the wrong column
    return bad


def _expected(model, df: pd.DataFrame, rows: list[int]) -> tuple[list[list[str]], np.ndarray]:
    articles = [Article(None, df.loc[r, "title"], df.loc[r, "body"]) for r in rows]
    return model.predict(articles), model.predict_proba(articles)


def test_raise_names_column_index_and_type_without_numpy_repr(model, frame):
    bad = _with_bad_cells(frame)
    with pytest.raises(InputError) as info:
        tag_frame(bad, model=model)
    message = str(info.value)
    # The first bad row in frame order, whichever column it is in.
    assert message == "field 'title': index 1002: expected text or a missing value, got bytes b'Single\\xa0window'"
    assert info.value.field == "title"
    only_body = frame.copy()
    only_body.loc[1003, "body"] = np.int64(404)
    with pytest.raises(InputError) as info:
        tag_frame(only_body, model=model)
    assert str(info.value) == "field 'body': index 1003: expected text or a missing value, got int 404"
    assert "np." not in str(info.value) and "numpy" not in str(info.value)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (["a", "b"], "got list of length 2"),
        ({"text": "x"}, "got dict of length 1"),
        (np.array(["a"]), "got ndarray of length 1"),
        (np.float64(2.5), "got float 2.5"),
        (True, "got bool True"),
    ],
)
def test_raise_describes_each_kind_of_bad_value(model, frame, value, shown):
    df = frame.copy()
    df["body"] = df["body"].astype(object)
    df.at[1004, "body"] = value
    with pytest.raises(InputError, match=rf"^field 'body': index 1004: expected text or a missing value, {shown}$"):
        tag_frame(df, model=model)


def test_numpy_index_labels_are_shown_plainly(model):
    df = pd.DataFrame({"body": ["Cocaine seized at the port.", 3.5]}, index=pd.Index(np.array([7, 8], dtype=np.uint32)))
    with pytest.raises(InputError, match=r"^field 'body': index 8: expected text or a missing value, got float 3.5$"):
        tag_frame(df, title=None, model=model)


def test_skip_keeps_good_rows_and_warns_once_per_bad_row(model, frame, caplog):
    bad = _with_bad_cells(frame)
    bad.loc[1003, "title"] = 12  # the same row bad twice: still one warning
    with caplog.at_level(logging.WARNING, logger="customs_topics"):
        out = tag_frame(bad, model=model, flags=True, on_error="skip")
    warnings = [r.getMessage() for r in caplog.records if r.name == "customs_topics"]
    assert warnings == [
        "tag_frame: skipped a bad row: field 'title': index 1002: expected text or a missing value, got bytes "
        "b'Single\\xa0window'",
        "tag_frame: skipped a bad row: field 'body': index 1003: expected text or a missing value, got int 404",
    ]
    assert out.index.tolist() == [1001, 1004] and out.index.name == "row"
    assert list(out.columns) == list(frame.columns) + output_columns(THEMES, flags=True)
    labels, P = _expected(model, frame, [1001, 1004])
    assert out["labels"].tolist() == labels
    np.testing.assert_array_equal(out[[f"score_{t}" for t in THEMES]].to_numpy(), P)
    assert out["date"].tolist() == frame.loc[[1001, 1004], "date"].tolist()
    assert bad.index.tolist() == [1001, 1002, 1003, 1004]  # input untouched


def test_report_keeps_every_row_in_place(model, frame, caplog):
    bad = _with_bad_cells(frame)
    with caplog.at_level(logging.WARNING, logger="customs_topics"):
        out = tag_frame(bad, model=model, prefix="pred_", flags=True, explain=2, on_error="report")
    assert not [r for r in caplog.records if r.name == "customs_topics"]  # the error column says it all
    assert out.index.equals(bad.index)
    assert list(out.columns) == list(frame.columns) + output_columns(
        THEMES, "pred_", flags=True, explain=2, on_error="report"
    )
    assert out["pred_error"].tolist() == [
        None,
        "field 'title': index 1002: expected text or a missing value, got bytes b'Single\\xa0window'",
        "field 'body': index 1003: expected text or a missing value, got int 404",
        None,
    ]
    assert out["pred_labels"].tolist()[1:3] == [[], []]
    scores = out[[f"pred_score_{t}" for t in THEMES]].to_numpy()
    assert np.isnan(scores[1:3]).all() and not np.isnan(scores[[0, 3]]).any()
    assert not out.loc[[1002, 1003], [f"pred_{t}" for t in THEMES]].to_numpy().any()
    assert out["pred_explanation"].tolist()[1:3] == [None, None]
    # The good rows are exactly what a clean frame gives.
    clean = tag_frame(frame.loc[[1001, 1004]], model=model, prefix="pred_", flags=True, explain=2)
    for column in clean.columns:
        assert out.loc[[1001, 1004], column].tolist() == clean[column].tolist(), column


def test_report_on_a_clean_frame_has_an_empty_error_column(model, frame):
    out = tag_frame(frame, model=model, on_error="report")
    assert out["error"].tolist() == [None] * 4
    assert out["labels"].tolist() == tag_frame(frame, model=model)["labels"].tolist()


def test_missing_values_are_not_errors(model, frame):
    df = frame.copy()
    df.loc[1002, "body"] = None
    df.loc[1003, "title"] = np.nan
    out = tag_frame(df, model=model, on_error="report")
    assert out["error"].tolist() == [None] * 4


def test_frame_level_problems_raise_whatever_on_error_says(model, frame):
    for mode in ("skip", "report"):
        with pytest.raises(InputError, match="no text column 'text'"):
            tag_frame(frame, text="text", model=model, on_error=mode)
    with pytest.raises(
        InputError, match=r"field 'on_error': on_error must be one of 'raise', 'skip', 'report', got 'fail'"
    ):
        tag_frame(frame, model=model, on_error="fail")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="already has a column 'error'"):
        tag_frame(frame.assign(error=None), model=model, on_error="report")


def test_skip_everything_bad_gives_an_empty_frame_with_the_columns(model, frame):
    df = frame.copy()
    df["body"] = [1, 2, 3, 4]
    out = tag_frame(df, model=model, on_error="skip")
    assert len(out) == 0
    assert list(out.columns) == list(frame.columns) + output_columns(THEMES)
    assert out["score_facilitation"].dtype == np.float64
