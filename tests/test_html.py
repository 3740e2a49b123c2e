"""HTML pages through the public API (read_articles) and the CLI, with both body extractors.

Every page is a realistic fixture written for these tests: a customs agency press release with its
site furniture, a trade-press story with og:title, a listing page, pages without <article>/<main>,
with only a logo <h1>, with only scripts, and with broken markup.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest
from conftest import json_lines, run_cli

from customs_topics import read_articles
from customs_topics.errors import InputError
from customs_topics.readers.html import ENV_VAR, parse_html, strip_site_name, trafilatura_available

PRESS_RELEASE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Customs seize 2.3 tonnes of cocaine hidden in banana shipment - National Customs Agency</title>
<meta property="og:site_name" content="National Customs Agency">
<link rel="canonical" href="https://customs.example.gov/news/2024/cocaine-banana-shipment">
<meta property="article:published_time" content="2024-03-12T09:30:00+01:00">
<script>window.dataLayer = window.dataLayer || []; function gtag(){dataLayer.push(arguments);}</script>
<style>.cookie-banner{position:fixed;bottom:0}</style>
</head>
<body class="page-news">
<div id="cookie-banner" class="cookie-banner">
  <p>We use cookies to improve your experience on our website. By continuing to browse you agree to our use of
  cookies. <a href="/privacy">Privacy policy</a> <button>Accept all cookies</button></p>
</div>
<header class="site-header">
  <a href="/"><h1 class="logo">National Customs Agency</h1></a>
  <nav class="main-menu">
    <ul>
      <li><a href="/">Home</a></li><li><a href="/trade">Trade and tariffs</a></li>
      <li><a href="/travellers">Travellers</a></li><li><a href="/news">News and media</a></li>
      <li><a href="/contact">Contact us</a></li>
    </ul>
  </nav>
</header>
<div class="breadcrumb"><a href="/">Home</a> &gt; <a href="/news">News</a> &gt; Press releases</div>
<main id="content">
<article class="press-release">
  <h1>Customs seize 2.3 tonnes of cocaine hidden in banana shipment</h1>
  <p class="meta">Press release &middot; <time datetime="2024-03-12">12 March 2024</time></p>
  <div class="share-buttons">Share this page: <a href="#">Facebook</a> <a href="#">X</a>
    <a href="#">LinkedIn</a> <a href="#">Email</a></div>
  <div class="article-body">
    <p>Customs officers at the Port of Westhaven have seized 2.3 tonnes of cocaine concealed in a refrigerated
    container of bananas arriving from South America, the National Customs Agency announced today.</p>
    <p>The container was selected for inspection by the agency's risk-targeting unit after an analysis of the
    shipping documents, which showed an unusual route and a consignee registered only weeks earlier.</p>
    <p>A scanner image revealed anomalies behind the front pallets. Officers found 2,100 bricks of cocaine
    packed in sports bags among the fruit. The estimated street value is 180 million euros.</p>
    <h2>International cooperation</h2>
    <p>The seizure follows information shared through the regional customs enforcement network, and two
    people have been arrested. The investigation continues with partner agencies in three countries.</p>
    <p>&ldquo;Our officers stop organised crime at the border every day,&rdquo; said the Director General.</p>
  </div>
  <section class="related-news">
    <h2>Related news</h2>
    <ul>
      <li><a href="/news/2024/tobacco">Customs seize 12 million smuggled cigarettes</a></li>
      <li><a href="/news/2024/single-window">New Single Window cuts clearance times</a></li>
      <li><a href="/news/2024/vaccines">Counterfeit vaccines intercepted at airport</a></li>
    </ul>
  </section>
</article>
</main>
<div class="newsletter-signup"><h3>Subscribe to our newsletter</h3>
  <p>Get the latest customs news delivered to your inbox every week.</p>
  <form><input type="email" placeholder="Email address"><button>Subscribe</button></form></div>
<footer class="site-footer">
  <p>&copy; 2024 National Customs Agency. All rights reserved.</p>
  <ul><li><a href="/accessibility">Accessibility</a></li><li><a href="/privacy">Privacy</a></li></ul>
</footer>
</body>
</html>
"""

TRADE_PRESS = """<!DOCTYPE html>
<html>
<head>
<title>EU tightens export controls on dual-use drones | Trade Gazette</title>
<meta property="og:title" content="EU tightens export controls on dual-use drones">
<meta property="og:site_name" content="Trade Gazette">
<meta property="og:url" content="https://tradegazette.example.com/2024/05/eu-dual-use-drones">
<meta name="twitter:title" content="EU tightens export controls on dual-use drones">
</head>
<body>
<header><h1 class="logo"><a href="/">Trade Gazette</a></h1>
<nav><a href="/markets">Markets</a> <a href="/logistics">Logistics</a> <a href="/policy">Policy</a></nav></header>
<div class="container">
  <div class="story">
    <div class="byline">By <a href="/authors/jane-doe">Jane Doe</a>, Brussels correspondent</div>
    <div class="story-text">
      <p>The European Union has added commercial drones with a flight time above 40 minutes to its list of
      dual-use items, meaning exporters will need a licence to ship them outside the bloc from July.</p>
      <p>Officials said the change, agreed by member states last week, closes a loophole that allowed
      civilian models to be re-exported to conflict zones through third countries.</p>
      <p>Industry groups welcomed the clarity but warned that licensing authorities, already stretched by
      sanctions screening, would need more staff to process applications within the legal deadlines.</p>
    </div>
  </div>
  <div class="sidebar">
    <h3>Most read</h3>
    <ol><li><a href="/a">Port congestion eases in Rotterdam</a></li><li><a href="/b">Tariff rates for 2025</a></li>
    <li><a href="/c">Customs brokers face new rules</a></li></ol>
  </div>
</div>
<footer>Trade Gazette &copy; 2024 &middot; <a href="/terms">Terms</a> &middot; <a href="/about">About us</a></footer>
</body>
</html>
"""

LISTING = """<!DOCTYPE html>
<html><head><title>Latest press releases | Revenue and Customs Service</title>
<meta property="og:url" content="https://rcs.example.org/news/"></head>
<body>
<header><div class="logo">Revenue and Customs Service</div><nav><a href="/">Home</a> <a href="/news/">News</a></nav>
</header>
<main>
<h1>Latest press releases</h1>
<article class="news-item">
  <h2><a href="/news/fake-medicines">Officers intercept 30,000 counterfeit medicines</a></h2>
  <time datetime="2024-06-03">3 June 2024</time>
  <p>Customs officers at the international airport intercepted 30,000 counterfeit tablets sold as
  prescription medicines, hidden in parcels declared as vitamin supplements.</p>
  <p>Laboratory tests showed that the tablets contained no active ingredient. The parcels were destroyed.</p>
</article>
<article class="news-item">
  <h2><a href="/news/authorised-economic-operators">Authorised economic operator programme reaches 500 firms</a></h2>
  <time datetime="2024-05-28">28 May 2024</time>
  <p>The authorised economic operator programme now counts 500 certified companies, which benefit from
  fewer physical inspections and faster clearance of their consignments at the border.</p>
  <p>The service will publish a simplified application guide for small exporters in the autumn.</p>
</article>
<article class="news-item">
  <h2><a href="/news/ivory">Ivory and pangolin scales found in timber container</a></h2>
  <time datetime="2024-05-20">20 May 2024</time>
  <p>A joint operation with the wildlife authority uncovered 800 kilograms of ivory and pangolin scales
  concealed inside hollowed-out logs in a timber shipment bound for Asia.</p>
  <p>Three suspects were charged with wildlife trafficking under the endangered species law.</p>
</article>
<nav class="pagination"><a href="?page=2">Next page</a></nav>
</main>
<footer>Revenue and Customs Service</footer>
</body></html>
"""

NO_ARTICLE = """<html><head><title>Single Window goes live for all importers - Ministry of Trade</title></head>
<body>
<div id="top"><a href="/">Ministry of Trade</a> | <a href="/en">English</a> | <a href="/fr">Fran&ccedil;ais</a></div>
<div id="menu"><a href="/">Home</a> <a href="/about">About</a> <a href="/press">Press</a></div>
<div id="wrapper">
  <div id="left-col"><a href="/a">Tariffs</a><br><a href="/b">Licences</a><br><a href="/c">Statistics</a></div>
  <div id="text">
    <h1>Single Window goes live for all importers</h1>
    <p>From Monday all importers must lodge their declarations through the national Single Window, which
    replaces the seven separate portals used by customs, health and agriculture agencies until now.</p>
    <p>Traders will submit each document once, and border agencies will share the data, which the ministry
    expects to cut average clearance times from three days to less than one day.</p>
    <p>Help desks will be open at every major border post during the first month of operation.</p>
  </div>
</div>
<div id="bottom">Ministry of Trade, 1 Main Street. <a href="/sitemap">Sitemap</a></div>
</body></html>
"""

LOGO_ONLY_H1 = """<html><head><title>Border Watch</title>
<meta property="og:site_name" content="Border Watch"></head>
<body>
<header><h1 class="logo">Border Watch</h1></header>
<div class="post">
  <h2>Smugglers use drones to move cigarettes across the river</h2>
  <p>Border guards have seen a sharp rise in the number of drones used to fly cartons of cigarettes across
  the river at night, avoiding the official crossing point and its customs controls.</p>
  <p>Guards seized 14 drones and 3,000 packs of cigarettes in the last month alone.</p>
</div>
</body></html>
"""

ONLY_SCRIPTS = """<html><head><script>var config = {"page": "home"};</script></head>
<body><script src="/app.js"></script><script>render(document.body)</script><noscript>Enable JavaScript</noscript>
</body></html>
"""

MALFORMED = """<html><head><title>Fake vaccines seized at the airport | Health News
<body><div class="content"><h1>Fake vaccines seized at the airport</h2>
<p>Customs officers at the airport seized 5,000 doses of counterfeit vaccines, declared as cosmetics,
<b>in a parcel from abroad.<p>Health inspectors said the vials contained only water and would have
been sold online to patients.</div></span></table>
<p>The agency urged the public to buy medicines only from licensed pharmacies & <i>report offers
"""

PRESS_RELEASE_SENTENCES = (
    "Customs officers at the Port of Westhaven have seized 2.3 tonnes of cocaine",
    "risk-targeting unit",
    "Officers found 2,100 bricks of cocaine",
    "regional customs enforcement network",
    "said the Director General.",
)
FURNITURE = (
    "cookies",
    "Home",
    "Trade and tariffs",
    "Share this",
    "Facebook",
    "Related news",
    "smuggled cigarettes",
    "newsletter",
    "All rights reserved",
    "Accessibility",
)

needs_trafilatura = pytest.mark.skipif(
    not trafilatura_available(), reason="trafilatura is not installed (pip install 'customs-topics[html]')"
)
EXTRACTORS = ["builtin", pytest.param("trafilatura", marks=needs_trafilatura)]


@pytest.fixture(params=EXTRACTORS)
def extractor(request, monkeypatch):
    """Run the test once per body extractor, chosen through the documented environment variable."""
    monkeypatch.setenv(ENV_VAR, request.param)
    return request.param


def write(tmp_path: Path, name: str, page: str) -> Path:
    path = tmp_path / name
    path.write_text(page, "utf-8")
    return path


def one(path: Path):
    [article] = read_articles(path)
    return article


# --------------------------------------------------------------------------- #
# Headline and body, through read_articles (format detected from .html)


def test_press_release_headline_is_the_article_heading_not_the_logo(tmp_path, extractor):
    article = one(write(tmp_path, "release.html", PRESS_RELEASE))
    assert article.title == "Customs seize 2.3 tonnes of cocaine hidden in banana shipment"


def test_press_release_body_keeps_the_story_and_drops_the_furniture(tmp_path, extractor):
    body = one(write(tmp_path, "release.html", PRESS_RELEASE)).body
    for sentence in PRESS_RELEASE_SENTENCES:
        assert sentence in body
    for junk in FURNITURE:
        assert junk not in body, junk
    assert not body.startswith("Customs seize 2.3 tonnes")  # the headline is the title, not repeated


def test_press_release_paragraphs_are_separated_by_blank_lines(tmp_path, extractor):
    body = one(write(tmp_path, "release.html", PRESS_RELEASE)).body
    paragraphs = body.split("\n\n")
    assert any(p.startswith("Customs officers at the Port of Westhaven") for p in paragraphs)
    assert any(p.startswith("A scanner image revealed") for p in paragraphs)
    assert all(p == p.strip() and "\n" not in p and "  " not in p for p in paragraphs)


def test_press_release_url_and_date_go_to_meta(tmp_path, extractor):
    article = one(write(tmp_path, "release.html", PRESS_RELEASE))
    assert article.meta["url"] == "https://customs.example.gov/news/2024/cocaine-banana-shipment"
    assert article.meta["date"] == "2024-03-12T09:30:00+01:00"


def test_trade_press_headline_from_og_title_and_body_without_byline_or_sidebar(tmp_path, extractor):
    article = one(write(tmp_path, "story.html", TRADE_PRESS))
    assert article.title == "EU tightens export controls on dual-use drones"
    assert article.meta["url"] == "https://tradegazette.example.com/2024/05/eu-dual-use-drones"
    assert "commercial drones with a flight time above 40 minutes" in article.body
    assert "sanctions screening" in article.body
    for junk in ("Trade Gazette", "Jane Doe", "Most read", "Rotterdam", "Markets", "Terms"):
        assert junk not in article.body, junk


def test_title_minus_site_name_when_there_is_no_heading_or_og_title(tmp_path, extractor):
    page = TRADE_PRESS.replace('<meta property="og:title"', '<meta property="x"').replace(
        '<meta name="twitter:title"', '<meta name="y"'
    )
    assert one(write(tmp_path, "story.html", page)).title == "EU tightens export controls on dual-use drones"


def test_page_without_article_or_main(tmp_path, extractor):
    article = one(write(tmp_path, "single-window.html", NO_ARTICLE))
    assert article.title == "Single Window goes live for all importers"
    assert "seven separate portals" in article.body and "Help desks will be open" in article.body
    for junk in ("Français", "About", "Licences", "Statistics", "Sitemap", "1 Main Street"):
        assert junk not in article.body, junk


def test_page_whose_only_h1_is_the_logo(tmp_path, extractor):
    article = one(write(tmp_path, "drones.html", LOGO_ONLY_H1))
    assert article.title == "Smugglers use drones to move cigarettes across the river"
    assert "Border Watch" not in article.body
    assert "Guards seized 14 drones" in article.body


def test_page_with_only_scripts_gives_an_empty_article_and_a_warning(tmp_path, extractor, caplog):
    with caplog.at_level(logging.WARNING, logger="customs_topics"):
        article = one(write(tmp_path, "app.html", ONLY_SCRIPTS))
    assert (article.title, article.body) == ("", "")
    assert "app.html: HTML page has no visible text" in caplog.text


def test_malformed_html_keeps_the_text(tmp_path, extractor):
    article = one(write(tmp_path, "broken.html", MALFORMED))
    assert article.title == "Fake vaccines seized at the airport"
    assert "seized 5,000 doses of counterfeit vaccines" in article.body
    assert "would have been sold online" in article.body
    assert "<" not in article.body and "&" not in article.body.replace("pharmacies & report", "")


# --------------------------------------------------------------------------- #
# Several articles on one page


def test_listing_page_gives_one_record_per_article_in_page_order(tmp_path, extractor, caplog):
    with caplog.at_level(logging.INFO, logger="customs_topics"):
        articles = read_articles(write(tmp_path, "news.html", LISTING))
    assert [a.title for a in articles] == [
        "Officers intercept 30,000 counterfeit medicines",
        "Authorised economic operator programme reaches 500 firms",
        "Ivory and pangolin scales found in timber container",
    ]
    assert "counterfeit tablets" in articles[0].body and "500 certified companies" in articles[1].body
    assert "hollowed-out logs" in articles[2].body
    for a in articles:
        assert "Next page" not in a.body and "Latest press releases" not in a.body
        assert a.title not in a.body
    assert [a.meta["url"] for a in articles] == [
        "https://rcs.example.org/news/fake-medicines",
        "https://rcs.example.org/news/authorised-economic-operators",
        "https://rcs.example.org/news/ivory",
    ]
    assert [a.meta["date"] for a in articles] == ["2024-06-03", "2024-05-28", "2024-05-20"]
    assert len({a.id for a in articles}) == 3
    assert "news.html: 3 articles on the page; one record each" in caplog.text


def test_story_with_small_teaser_articles_is_one_record(tmp_path, extractor):
    teasers = "".join(
        f'<article class="card"><h3><a href="/n{k}">Teaser headline {k}</a></h3></article>' for k in range(4)
    )
    page = PRESS_RELEASE.replace("</main>", f"<div>{teasers}</div></main>")
    [article] = read_articles(write(tmp_path, "release.html", page))
    assert article.title.startswith("Customs seize 2.3 tonnes")
    assert "Teaser headline" not in article.body


# --------------------------------------------------------------------------- #
# Choosing the extractor


def test_parameter_forces_the_builtin_extractor_and_wins_over_the_environment(monkeypatch):
    monkeypatch.setenv(ENV_VAR, "trafilatura" if trafilatura_available() else "auto")
    [(number, record)] = list(parse_html(PRESS_RELEASE, "release.html", extractor="builtin"))
    assert number == 1 and "risk-targeting unit" in record["body"]


def test_unknown_extractor_is_a_clear_error(tmp_path, monkeypatch):
    with pytest.raises(InputError, match=r"extractor='lxml': expected one of auto, builtin, trafilatura"):
        list(parse_html(PRESS_RELEASE, "release.html", extractor="lxml"))  # type: ignore[arg-type]
    monkeypatch.setenv(ENV_VAR, "fast")
    with pytest.raises(InputError, match=rf"{ENV_VAR}='fast': expected one of auto, builtin, trafilatura"):
        read_articles(write(tmp_path, "release.html", PRESS_RELEASE))


@pytest.mark.skipif(trafilatura_available(), reason="trafilatura is installed")
def test_forcing_trafilatura_without_it_names_the_extra(tmp_path, monkeypatch):
    with pytest.raises(ImportError, match=r"customs-topics\[html\]"):
        list(parse_html(PRESS_RELEASE, "release.html", extractor="trafilatura"))
    monkeypatch.setenv(ENV_VAR, "trafilatura")
    res = run_cli("tag", write(tmp_path, "page.html", PRESS_RELEASE))
    assert res.returncode == 2
    assert res.stderr.decode().splitlines() == [
        f"customs-topics: error: {ENV_VAR}=trafilatura: the trafilatura HTML extractor needs the optional extra: "
        "pip install 'customs-topics[html]'"
    ]


@needs_trafilatura
def test_auto_uses_trafilatura_and_falls_back_when_it_fails(monkeypatch, caplog):
    import trafilatura

    def broken(*args, **kwargs):
        raise ValueError("parser exploded")

    monkeypatch.setattr(trafilatura, "extract", broken)
    with caplog.at_level(logging.INFO, logger="customs_topics"):
        [(_, record)] = list(parse_html(PRESS_RELEASE, "release.html"))
    assert "release.html: trafilatura failed (ValueError); using the builtin HTML extractor" in caplog.text
    assert "risk-targeting unit" in record["body"] and "Related news" not in record["body"]


@needs_trafilatura
def test_auto_falls_back_when_trafilatura_finds_nothing(monkeypatch, caplog):
    import trafilatura

    monkeypatch.setattr(trafilatura, "extract", lambda *args, **kwargs: None)
    with caplog.at_level(logging.INFO, logger="customs_topics"):
        [(_, record)] = list(parse_html(NO_ARTICLE, "page.html"))
    assert "page.html: trafilatura found no article text" in caplog.text
    assert "seven separate portals" in record["body"]


def test_strip_site_name_variants():
    assert strip_site_name("Story about seizures | Trade Gazette") == "Story about seizures"
    assert strip_site_name("Story about seizures - Trade Gazette") == "Story about seizures"
    assert strip_site_name("Story about seizures – Trade Gazette") == "Story about seizures"
    assert strip_site_name("Trade Gazette | Story about seizures", "Trade Gazette") == "Story about seizures"
    # A dash inside a headline is not a site name when the site is known and is not there.
    assert strip_site_name("Anti-smuggling unit - a year on", "Trade Gazette") == "Anti-smuggling unit - a year on"


# --------------------------------------------------------------------------- #
# The CLI


@pytest.mark.parametrize("flavour", EXTRACTORS)
def test_cli_tags_a_press_release_page(tmp_path, monkeypatch, flavour):
    monkeypatch.setenv(ENV_VAR, flavour)
    res = run_cli("tag", write(tmp_path, "page.html", PRESS_RELEASE))
    assert res.returncode == 0, res.stderr
    [row] = json_lines(res.stdout)
    assert row["title"] == "Customs seize 2.3 tonnes of cocaine hidden in banana shipment"
    assert "illicit_trade" in row["labels"]
    assert "Traceback" not in res.stderr.decode()


@pytest.mark.parametrize("flavour", EXTRACTORS)
def test_cli_page_without_text_warns_once_and_nothing_else(tmp_path, monkeypatch, flavour):
    monkeypatch.setenv(ENV_VAR, flavour)
    path = write(tmp_path, "app.html", ONLY_SCRIPTS)
    res = run_cli("tag", path)
    assert res.returncode == 0
    # the reader's own warning only, not the extractor library's internal messages
    assert res.stderr.decode().splitlines() == [f"customs-topics: {path}: HTML page has no visible text"]


def test_cli_listing_page_gives_three_rows(tmp_path):
    res = run_cli("tag", write(tmp_path, "news.html", LISTING))
    assert res.returncode == 0, res.stderr
    rows = json_lines(res.stdout)
    assert [r["title"] for r in rows] == [
        "Officers intercept 30,000 counterfeit medicines",
        "Authorised economic operator programme reaches 500 firms",
        "Ivory and pangolin scales found in timber container",
    ]
    assert "health_goods" in rows[0]["labels"] and "illicit_trade" in rows[2]["labels"]


def test_cli_bad_extractor_variable_is_a_one_line_error(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, "fast")
    res = run_cli("tag", write(tmp_path, "page.html", PRESS_RELEASE))
    assert res.returncode == 2
    err = res.stderr.decode()
    assert "Traceback" not in err and ENV_VAR in err and "builtin" in err


def test_reading_from_a_file_object_detects_html():
    [article] = read_articles(io.BytesIO(PRESS_RELEASE.encode("utf-8")))
    assert article.title == "Customs seize 2.3 tonnes of cocaine hidden in banana shipment"


def test_deeply_nested_and_unbalanced_markup_still_reads(tmp_path, extractor):
    story = (
        "<p>Customs officers seized 300 kilograms of heroin hidden in a shipment of marble tiles, the agency said.</p>"
    )
    page = "<html><body>" + "<div>" * 3000 + "<span>" * 3000 + story + "</i></b>" * 3000 + "<h1><h2>Heroin in marble"
    article = one(write(tmp_path, "deep.html", page))
    assert "300 kilograms of heroin hidden in a shipment of marble tiles" in article.body
