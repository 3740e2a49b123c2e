"""Page-like test text: what a user gets from a news page, built from a clean summary.

A corpus article is a clean headline and one to three paragraphs. What users
feed the tagger is often the first ~2,000 characters of a web page's text:
navigation and menu lines, a breadcrumb, a dateline and byline, the story
(its sentences in paragraphs of uneven length), share and cookie lines, the
agency's mission statement, a hotline and penalties paragraph and a "related
stories" list of other headlines. :func:`page_like` builds such a page from
an article and a list of *other* articles' headlines.

The generator never sees labels: it reads an article's title and body and
the headlines it is given (in the benchmark, other test-fold articles'
titles). Everything is drawn from a ``random.Random`` seeded by the seed and
the article id, so a page is the same on every run.

Two disjoint template pools exist: ``"test"`` (used to build the page-like
test folds) and ``"train"`` (used only for train-side augmentation
experiments), so a model trained on augmented pages never sees the test
pages' debris wording.

Example:
    >>> from customs_topics.articles import Article
    >>> body = "Officers found the drugs in banana boxes. The ship came from Ecuador."
    >>> a = Article.from_text("Customs Seize 2 Tonnes of Cocaine", body)
    >>> p = page_like(a, ["Port Opens New Scanner", "Agency Marks World Customs Day"], seed=0)
    >>> p.title == a.title and "banana boxes" in p.body and p.labels == a.labels
    True
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

from customs_topics.articles import Article

SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")

AGENCIES = {
    "test": [
        ("Customs Service", "the Service"),
        ("Revenue and Customs Authority", "the Authority"),
        ("Border Protection Agency", "the Agency"),
        ("National Customs Administration", "the Administration"),
        ("Customs and Excise Department", "the Department"),
    ],
    "train": [
        ("Customs Directorate", "the Directorate"),
        ("Border Force", "the Force"),
        ("Customs Board", "the Board"),
        ("Federal Customs Office", "the Office"),
    ],
}

NAV = {
    "test": [
        "Skip to main content",
        "Home",
        "About us",
        "News",
        "Newsroom",
        "Media centre",
        "Press releases",
        "Publications",
        "Contact us",
        "Search",
        "Menu",
        "Careers",
        "Travellers",
        "Businesses",
        "Resources",
        "Frequently asked questions",
        "English | Français | Español",
        "Login",
        "Sitemap",
        "Accessibility",
    ],
    "train": [
        "Jump to content",
        "Main menu",
        "Who we are",
        "Latest news",
        "Media",
        "Statements",
        "Documents",
        "Get in touch",
        "Find",
        "Navigation",
        "Jobs",
        "Individuals",
        "Companies",
        "Help",
        "Language",
        "Sign in",
        "Site index",
        "Privacy",
    ],
}

BREADCRUMB = {
    "test": ["Home > News > Press releases", "Home / Media / News", "You are here: Home > Newsroom > {year}"],
    "train": ["Start › Media › Statements", "Main page / Latest news", "Path: Home » Press » {year}"],
}

DATELINE = {
    "test": [
        "Release Date: {day} {month} {year}",
        "Published {day} {month} {year} | {minutes} min read",
        "{month} {day}, {year}",
        "Posted on {day}/{mon}/{year} by Press Office",
        "By Media Relations | {day} {month} {year}",
    ],
    "train": [
        "Date: {day}.{mon}.{year}",
        "Updated {day} {month} {year}",
        "Issued {month} {day}, {year} - Communications Unit",
        "Written by Staff Reporter, {day} {month} {year}",
    ],
}

CITIES = {
    "test": ["WASHINGTON", "BRUSSELS", "LAGOS", "NAIROBI", "SINGAPORE", "OTTAWA", "CANBERRA", "GENEVA"],
    "train": ["LONDON", "ACCRA", "MANILA", "LIMA", "DUBLIN", "KAMPALA", "SEOUL"],
}

SHARE = {
    "test": [
        "Share this page: Facebook Twitter LinkedIn Email",
        "Share | Print | Email",
        "Follow us on X, Facebook and Instagram for the latest news.",
        "Tags: news, press release, media",
        "Print this page",
    ],
    "train": [
        "Share on social media",
        "Send | Save | Print",
        "Subscribe to our newsletter for updates.",
        "Categories: media, statements",
    ],
}

COOKIES = {
    "test": [
        "We use cookies to give you the best experience on our website. By continuing to browse you agree to "
        "our use of cookies. Accept all cookies",
        "This website uses cookies to improve your experience. Read our privacy policy. OK",
    ],
    "train": [
        "Cookies help us run this site. Manage preferences or accept them all.",
        "Our site stores small files on your device. Settings | Accept",
    ],
}

MISSION = {
    "test": [
        "The {agency} is responsible for protecting the nation's borders from dangerous people and goods while "
        "enabling legitimate trade and travel and collecting the revenue due.",
        "{Short} is committed to safeguarding society, collecting revenue and supporting economic growth through "
        "efficient border management.",
        "About the {agency}: {short} protects the public, facilitates legitimate trade and collects duties and taxes "
        "on behalf of the government.",
        "The {agency}'s mission is to secure the border, protect the community and promote trade and economic "
        "prosperity.",
    ],
    "train": [
        "The {agency} keeps the country safe and prosperous by managing the flow of goods and people across "
        "its borders, stopping harmful goods and helping honest traders.",
        "{Short} serves the public by protecting the border, raising revenue for public services and helping "
        "businesses trade with the world.",
        "Our vision: a secure border, a fair tax system, protection of society against illegal goods and a "
        "thriving economy that trades easily.",
        "As the country's frontline border agency, {short} combats the illegal movement of goods while keeping "
        "lawful commerce flowing.",
    ],
}

HOTLINE = {
    "test": [
        "Members of the public who have information about smuggling or other suspicious activity can call the "
        "{agency} hotline on 0800 {n3} {n4}, free and in confidence.",
        "Anyone convicted of importing prohibited goods faces a fine of up to {fine} and up to {years} years in "
        "prison. Report customs fraud online or by phone.",
        "Penalties for customs offences include seizure of the goods, fines and imprisonment. To report a tip, "
        "call 1-800-{n3}-{n4}.",
    ],
    "train": [
        "If you know of anyone smuggling goods into the country, contact the confidential line on {n3} {n4}; "
        "you do not have to give your name.",
        "Breaking customs law can lead to the goods being forfeited, fines of {fine} or {years} years in jail.",
        "Tip-offs about illegal imports or tax evasion are welcome at any office, online or by email.",
        "Importing restricted or banned items without a permit is an offence under the Customs Act.",
    ],
}

RELATED_HEAD = {
    "test": ["Related stories", "Related news", "More news", "You may also like", "Latest press releases"],
    "train": ["See also", "Other statements", "Recent items"],
}

FOOTER = {
    "test": [
        "Contact the press office: media@customs.example",
        "© {year} All rights reserved",
        "Last updated: {day} {month} {year}",
    ],
    "train": ["Press enquiries: press@border.example", "Copyright {year}", "Page reviewed {day}.{mon}.{year}"],
}

#: Share of pages that close with the agency's mission statement / a hotline or penalties paragraph.
MISSION_RATE = 0.6
HOTLINE_RATE = 0.5

MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def _fill(template: str, rng: random.Random, agency: tuple[str, str]) -> str:
    month = rng.randrange(12)
    values = {
        "agency": agency[0],
        "short": agency[1],
        "Short": agency[1][0].upper() + agency[1][1:],
        "year": str(rng.randrange(2016, 2026)),
        "day": str(rng.randrange(1, 29)),
        "month": MONTHS[month],
        "mon": f"{month + 1:02d}",
        "minutes": str(rng.randrange(2, 7)),
        "n3": str(rng.randrange(100, 999)),
        "n4": str(rng.randrange(1000, 9999)),
        "fine": rng.choice(["$250,000", "EUR 100,000", "five times the duty evaded", "N5 million"]),
        "years": str(rng.choice([2, 5, 10, 20])),
    }
    return template.format(**values)


def _paragraphs(body: str, rng: random.Random) -> list[str]:
    """The body's sentences regrouped into paragraphs of uneven length (1-4 sentences)."""
    sentences = [s for s in SENTENCE.split(" ".join(body.split())) if s]
    out, i = [], 0
    while i < len(sentences):
        k = rng.choice([1, 1, 2, 2, 3, 4])
        out.append(" ".join(sentences[i : i + k]))
        i += k
    return out


def page_like(
    article: Article,
    headlines: Sequence[str],
    seed: int = 0,
    pool: str = "test",
    length: tuple[int, int] = (1700, 2300),
) -> Article:
    """``article`` as the text of a news page: same id, title and labels, body with site debris.

    ``headlines`` are other articles' titles, used for the "related stories"
    list (the article's own title is skipped). The body is cut at a word
    boundary after a length drawn from ``length`` characters, as when the
    first ~2,000 characters of a page are kept: long debris at the top can
    push the end of the story out.
    """
    rng = random.Random(f"{seed}:{pool}:{article.id}:{article.title}")
    agency = rng.choice(AGENCIES[pool])
    fill = lambda t: _fill(t, rng, agency)  # noqa: E731
    top: list[str] = []
    if rng.random() < 0.4:
        top.append(rng.choice(COOKIES[pool]))
    top += rng.sample(NAV[pool], rng.randrange(4, 13))
    if rng.random() < 0.6:
        top.append(fill(rng.choice(BREADCRUMB[pool])))
    top.append(fill(rng.choice(DATELINE[pool])))
    if rng.random() < 0.3:
        top.append(rng.choice(SHARE[pool]))
    paragraphs = _paragraphs(article.body, rng)
    if paragraphs and rng.random() < 0.4:
        paragraphs[0] = f"{rng.choice(CITIES[pool])} - {paragraphs[0]}"
    closing = []
    if rng.random() < MISSION_RATE:
        closing.append(fill(rng.choice(MISSION[pool])))
    if rng.random() < HOTLINE_RATE:
        closing.append(fill(rng.choice(HOTLINE[pool])))
    rng.shuffle(closing)
    bottom = [*closing, rng.choice(SHARE[pool])]
    related: list[str] = []
    others = [h for h in headlines if h != article.title]
    if others:
        related = [rng.choice(RELATED_HEAD[pool]), *rng.sample(others, min(len(others), rng.randrange(4, 9)))]
    footer = [fill(rng.choice(FOOTER[pool]))]
    if rng.random() < 0.25:  # a sidebar list that comes before the story in the page text
        lines = [*top, *related, *paragraphs, *bottom, *footer]
    else:
        lines = [*top, *paragraphs, *bottom, *related, *footer]
    body = "\n".join(lines)
    limit = rng.randrange(*length) - len(article.title)
    if len(body) > limit:
        cut = body.rfind(" ", 0, limit)
        body = body[: cut if cut > 0 else limit]
    return Article(article.id, article.title, body, article.labels, dict(article.meta))


def page_like_fold(articles: Sequence[Article], seed: int = 0, pool: str = "test") -> list[Article]:
    """Each article of one fold as a page whose related list holds other fold articles' headlines."""
    headlines = [a.title for a in articles]
    out = []
    for i, a in enumerate(articles):
        rng = random.Random(f"{seed}:related:{a.id}:{i}")
        pick = rng.sample(range(len(headlines)), min(len(headlines), 8))
        out.append(page_like(a, [headlines[j] for j in pick if j != i], seed=seed, pool=pool))
    return out
