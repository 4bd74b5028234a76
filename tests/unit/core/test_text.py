"""Text rules (core.text): language, sentences, stems, names and numbers."""

from __future__ import annotations

import pytest

from core.text import (
    detect_language,
    ends_running_text,
    is_capitals_heading,
    is_heading,
    is_heading_line,
    leads_into_list,
    name_is_stated,
    names,
    number_is_stated,
    number_is_stated_with,
    numbers,
    numbers_in_context,
    passage_sentences,
    split_sentences,
    states_figure,
    tokens,
)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("When did Indonesia release its National Artificial Intelligence Strategy?", "en"),
        ("Kapan Indonesia meluncurkan Strategi Nasional Kecerdasan Artifisial?", "id"),
        ("Berapa jumlah penduduk Indonesia menurut artikel ini?", "id"),
        ("インドネシアはいつ国家AI戦略を発表しましたか？", "ja"),
        ("人工智能每年预计为中国带来多少经济价值？", "zh"),
        # Not English just because they are written in Latin letters.
        ("Quand l'Indonésie a-t-elle publié sa stratégie nationale d'IA ?", "fr"),
        ("¿Cuándo publicó Indonesia su estrategia nacional de inteligencia artificial?", "es"),
        # An English question naming Indonesian bodies is still English.
        ("What does Korika do for the Stranas KA and the BSSN?", "en"),
        ("", "en"),
        ("2020?", "en"),
    ],
)
def test_detect_language(text: str, lang: str) -> None:
    assert detect_language(text) == lang


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("Batasnya Rp. 4.000.000.000.000,00 (empat triliun rupiah).", 1),
        ("See Government Regulation No. 46 of 2009 on nuclear liability.", 1),
        ("It rose. 2021 was better than the years before it.", 2),  # a sentence's last word
        ("The growth was 5%. 12 agencies joined the programme later.", 2),
        ("It was funded by the EU. 27 member states signed it later.", 2),
    ],
)
def test_an_abbreviation_before_a_number_ends_no_sentence(text: str, sentences: int) -> None:
    assert len(split_sentences(text)) == sentences


def test_sentences_keep_abbreviations_and_split_cjk_without_spaces() -> None:
    text = "The U.S. Congress passed the act in 2020. Dr. Smith wrote the first report on it."
    assert split_sentences(text) == [
        "The U.S. Congress passed the act in 2020.",
        "Dr. Smith wrote the first report on it.",
    ]
    zh = "人工智能预计每年为中国经济带来六千亿美元的价值。印度尼西亚在二零二零年发布了国家战略。"
    assert len(split_sentences(zh, "zh")) == 2


def test_a_stranded_fragment_joins_the_sentence_before() -> None:
    assert split_sentences(
        "Korika drafted the national strategy. I aimed. It was released in the year 2020."
    ) == [
        "Korika drafted the national strategy. I aimed.",
        "It was released in the year 2020.",
    ]


def test_a_list_number_cut_from_its_item_opens_the_items_sentence() -> None:
    """A PDF that ran a numbered list into one paragraph: each number goes with its item, not
    at the end of the sentence before."""
    text = (
        "The Bank advocates five key principles: 1. ASK WHY: policies need a clear purpose. "
        "2. DESIGN AND ACT AT SCALE: access for all students. 3. EMPOWER TEACHERS to lead learning."
    )
    assert split_sentences(text) == [
        "The Bank advocates five key principles:",
        "1. ASK WHY: policies need a clear purpose.",
        "2. DESIGN AND ACT AT SCALE: access for all students.",
        "3. EMPOWER TEACHERS to lead learning.",
    ]
    kept = "The committee met in Paris, in Dubai and in Cambridge (MIT) in 2019. See Sec. 3."
    assert split_sentences(kept) == [kept]


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("The relevant articles are 3, 4, 5. The next part covers the rest.", "are 3, 4, 5."),
        ("See pages 12, 13. The annex gives more detail on this.", "pages 12, 13."),
        ("It took effect on 5. 6. 2021 in all the provinces.", "on 5. 6."),  # a date's numbers
        # a table row's last cell, before the next row
        ("Province: Riau; Towers built: 87. Province: Bali; Towers built: 295.", "built: 87."),
    ],
)
def test_figures_ending_a_sentence_are_no_list_numbers(text: str, first: str) -> None:
    assert split_sentences(text)[0].endswith(first)


@pytest.mark.parametrize(
    ("text", "ends"),
    [
        ("The plan was adopted in August 2020.", True),
        ("The plan was adopted in August 2020.[3]", True),  # a footnote's mark
        ("The plan was adopted in August 2020.12", True),
        ('He called it "a turning point."', True),
        ("Published by the Federal RPA Community of Practice (CoP)", False),
        ("U.S. Department of Transportation | U.S. GAO B-329368", False),
    ],
)
def test_running_text_ends_inside_quotes_and_before_footnote_marks(text: str, ends: bool) -> None:
    assert ends_running_text(text) is ends


def test_passage_sentences_leave_headings_out() -> None:
    text = "Funding\n\nFunding comes from a regional bank. Three investors joined later on."
    assert passage_sentences(text) == [
        "Funding comes from a regional bank.",
        "Three investors joined later on.",
    ]
    assert is_heading("# Results") and is_heading("Security") and not is_heading("It rained.")


def test_short_lines_inside_a_passage_are_read() -> None:
    """Only the heading path a passage starts with and Markdown headings are left out: a date
    line under a signature or a table's row on its own line was never read (nor shown to the
    model), so "On what date was it enacted?" could not be answered."""
    text = (
        "Regulation 46 > Closing\n\n## Article 2\n\nIt takes effect on promulgation.\n\n"
        "Enacted in Jakarta\n\non 11 June 2009\n\nLEVEL 4: 70-89 points"
    )
    assert passage_sentences(text) == [
        "It takes effect on promulgation.",
        "Enacted in Jakarta",
        "on 11 June 2009",
        "LEVEL 4: 70-89 points",
    ]


def test_a_lead_in_line_ending_with_a_colon_is_cut_from_the_unmarked_items_under_it() -> None:
    """A slide's bullets have no marks: read on from its lead-in, the first item passed for the
    lead-in's end ("... while: On duty"), and the items after it were not taken as a list. A
    short label keeps its value on the next line."""
    slide = (
        "On Duty\n\nEmployees may not engage in political activity while:\nOn duty\n"
        "Using a government vehicle\n\nAdopted on:\n22 May 2019"
    )
    assert passage_sentences(slide) == [
        "Employees may not engage in political activity while:",
        "On duty Using a government vehicle",
        "Adopted on: 22 May 2019",
    ]
    assert leads_into_list(passage_sentences(slide)[0], None)
    # Marked items are cut by their marks; a table's labelled rows stay under their caption.
    marked = "Intro\n\nThe lender may be any one of the following:\na. a person;\nb. a company."
    table = "Intro\n\nForm Requirements of the change, rows 2–3:\nField: Demand; Information: RFIs."
    assert passage_sentences(marked) == [
        "The lender may be any one of the following: a. a person; b. a company."
    ]
    assert passage_sentences(table) == [
        "Form Requirements of the change, rows 2–3: Field: Demand; Information: RFIs."
    ]
    # A label keeps its value, a lead-in its running text.
    label = "Intro\n\nName of the responsible ministry:\nMinistry of Finance"
    assert passage_sentences(label) == ["Name of the responsible ministry: Ministry of Finance"]
    defined = "Intro\n\nThe law defines personal data as follows:\nany information on a person."
    assert len(passage_sentences(defined)) == 1


def test_stems_match_inflections_and_drop_stopwords() -> None:
    assert tokens("cooperate") == tokens("cooperation") == tokens("cooperative")
    assert tokens("The policies of the nation") == tokens("policy nations")
    assert tokens("3.7% in 2020") == ["3.7%", "2020"]


def test_chinese_and_japanese_are_read_as_character_bigrams() -> None:
    # A clause of Han or kana has no spaces: as one "word" it matched only the same clause.
    assert tokens("防止产生民族歧视") == ["防止", "止产", "产生", "生民", "民族", "族歧", "歧视"]
    assert "歧视" in tokens("哪些类型的歧视？")
    # Latin names inside stay whole words, stemmed as ever; a lone character stays itself.
    assert tokens("FedRAMPの変更がJABに") == ["fedramp", "の変", "変更", "更が", "jab", "に"]
    assert tokens("Programs 字") == ["program", "字"]
    assert tokens("人々") == ["人々"]  # the iteration mark belongs to the run


def test_names_skip_single_capitalised_words_that_start_a_sentence() -> None:
    found = names(
        "According to it, Brazil grew. The Office of Science and Technology Policy leads."
    )
    assert found == {"Brazil", "Office of Science and Technology Policy"}
    assert names("Indonesia and China agree. OECD members too.") == {"Indonesia and China", "OECD"}
    # a sentence that ends inside a closing quote or bracket
    quoted = 'It must submit a "Readiness Report."   This report is in Sections 3 and 4.'
    assert names(quoted) == {"Readiness Report", "Sections"}
    assert "This" not in names("Its rule (see Part 2.) This applies.")


@pytest.mark.parametrize(
    ("answer", "passage", "stated"),
    [
        ("6000亿美元", "US$600 billion a year", True),  # same value, other scale word
        ("6千亿美元", "US$600 billion a year", True),
        ("600亿美元", "US$600 billion a year", False),  # 60 billion: the digits, not the value
        ("600億ドル", "US$600 billion a year", False),
        ("6000億ドル", "US$600 billion a year", True),
        ("600 million", "6,000億ドル", False),  # "6,000" is never 6.000
        ("15 million", "1.5 million", False),  # nor "1.5" 15
        ("1,000.5 million", "1.000,5 million", True),
        ("600 billion", "Table 2 (US$ billion): 600", True),  # a scale said once, in a header
        ("3,7 persen", "growth of 3.7% a year", True),  # Indonesian decimal comma
        ("270 juta", "a population of over 270 million", True),
        ("2021", "released in 2020", False),
        ("2 trillion", "US$600 billion", False),
        ("IDR 2,000,000,000", "sebesar Rp2.000.000.000,00 (dua miliar rupiah)", True),  # glued
        ("Rp2 billion", "sebesar Rp2.000.000.000,00", True),
        ("RM5", "a fee of RM6", False),
        ("17 negara", "its US$17 billion portfolio", False),  # 17 countries, not 17 billion
        ("1,000,000,000", "US$1 billion", True),
        ("1.5", "1.5 million", False),
    ],
)
def test_numbers_are_compared_by_digits_or_value(answer: str, passage: str, stated: bool) -> None:
    (number,) = numbers(answer)
    assert number_is_stated(number, numbers(passage)) is stated


def test_a_number_glued_to_letters_is_no_number_unless_to_a_currency_code() -> None:
    assert numbers("COVID19 cases, form A4, the G20") == []
    assert numbers("GRP2, ARP3, US2020, RP2040") == []  # no currency code
    assert [n[0] for n in numbers("Rp4.000, Rp.5.000, RM5, USD10")] == ["4000", "5000", "5", "10"]


def test_a_name_is_stated_verbatim_by_stems_or_as_a_derived_form() -> None:
    text = "Indonesia and China signed the cooperation agreements with Korika."
    stems = set(tokens(text))
    assert name_is_stated("korika", text, stems)
    assert name_is_stated("Cooperation Agreement", text, stems)
    assert name_is_stated("Chinese", text, stems)  # derived from "China"
    assert not name_is_stated("Sam Altman", text, stems)
    assert name_is_stated("China's", text, stems)  # a possessive names what it owns


def test_a_number_counts_the_word_right_after_it() -> None:
    title = numbers_in_context("United States Code, Title 15 (Commerce and Trade), Chapter 119")
    members = numbers_in_context("The Task Force shall be composed of 15 members.")
    (answer,) = numbers_in_context("There are 15 members on the Advisory Committee.")
    assert answer.counts == "member"
    assert not number_is_stated_with(answer, title)
    assert number_is_stated_with(answer, members)
    (scaled,) = numbers_in_context("AI adds 600 billion dollars a year.")
    assert scaled.counts is None  # a scale word: the value is compared instead
    assert number_is_stated_with(scaled, numbers_in_context("worth US$600,000 million a year"))


def test_a_sum_of_money_or_a_number_before_a_preposition_counts_no_word() -> None:
    # "$15,000,000 per year" was read as counting "per", which the passage's "$15,000,000 for
    # each of fiscal years 2022 through 2025" lacks: a right answer dropped as invented.
    (sum_,) = numbers_in_context("The law authorizes $15,000,000 per year.")
    assert sum_.counts is None
    stated = numbers_in_context("There is authorized $15,000,000 for each of fiscal years 2022")
    assert number_is_stated_with(sum_, stated)
    for money in ("Rp2.000.000 loans", "Rp. 4.000 loans", "RM5 loans", "Rs 50 fees", "usd 5 loans"):
        assert numbers_in_context(money)[0].counts is None
    (share,) = numbers_in_context("53 per cent of teachers")  # "per cent" is "percent"
    assert share.counts == "teacher"
    assert [n.counts for n in numbers_in_context("from 2022 through 2025")] == [None, None]
    assert numbers_in_context("It meets 3 times every year")[0].counts is not None  # "time"


def test_a_share_counts_the_word_after_its_of() -> None:
    """A share of teachers is not stated by "53% of 10-year old children": a small model answers
    a question about a share nobody measured with a share of something else."""
    (teachers,) = numbers_in_context("53% of teachers have been trained to use technology.")
    (firms,) = numbers_in_context("40 percent of the firms export.")
    assert (teachers.counts, firms.counts) == ("teacher", "firm")
    children = numbers_in_context("53% of 10-year old children in poor countries cannot read.")
    assert not number_is_stated_with(teachers, children)
    assert number_is_stated_with(teachers, numbers_in_context("53% of teachers are trained."))
    assert numbers_in_context("53% of all the teachers")[0].counts == "teacher"
    # only a share counts past an "of": "Article 5 of the Law" counts no law
    assert numbers_in_context("Article 5 of the Law applies.")[0].counts is None


def test_remembered_stems_are_the_stemmers_from_many_threads() -> None:
    # The answer slots tokenize side by side; stems are remembered, and stemmed under a lock.
    import itertools
    from concurrent.futures import ThreadPoolExecutor

    import snowballstemmer

    alone = snowballstemmer.stemmer("english")
    made = ["".join(p) for p in itertools.product("bcdfgklmnprst", "aeiou", "nrst", "aeiou")]
    texts = [f"{w}izations {w}ingly {w}fulness" for w in made[:1500]]  # words nobody stemmed yet
    expected = [[alone.stemWord(w) for w in t.split()] for t in texts]
    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(tokens, texts)) == expected


def test_every_stem_is_taken_under_the_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shared stemmer keeps its word in itself, so no caller may reach it unlocked: numbers'
    context words go through the same locked, remembered stem as tokens()."""
    from core import text

    real = text._stemmer()

    class LockedOnly:
        def stemWord(self, word: str) -> str:  # snowballstemmer's name
            assert text._STEMMING.locked(), f"{word!r} stemmed without the lock"
            return str(real.stemWord(word))

    monkeypatch.setattr(text, "_stemmer", lambda: LockedOnly())
    text._stem.cache_clear()
    try:
        assert tokens("Twelve members cooperated") == ["twelv", "member", "cooper"]
        [found] = numbers_in_context("The board has 15 members appointed yearly.")
        assert found.counts == "member"
    finally:
        text._stem.cache_clear()  # stems made through the stand-in are not kept


def test_a_document_is_chinese_or_japanese_only_when_much_of_it_is() -> None:
    from core.text import document_language

    english = "The report thanks 山田 さん for the figures on education and technology in schools."
    assert document_language(english) == "en"  # one kana decides a question, not a report
    assert document_language("これは日本語の文書です。教育と技術について述べます。") == "ja"
    assert document_language("生成式人工智能服务管理暂行办法。第一条 为了促进发展。") == "zh"
    assert document_language("Peraturan ini mulai berlaku pada tanggal diundangkan.") == "id"


@pytest.mark.parametrize(
    ("sentence", "figure"),
    [
        ("Requests must be submitted at least 30 days before.", True),
        ("(2) Penyelenggara wajib paling lama 1 (satu) tahun.", True),
        ("(2) Penyelenggara wajib mengajukan pendaftaran.", False),
        ("3. The operator files a request.", False),
        ("a. peringatan tertulis;", False),
        ("No figure is stated here.", False),
        # A list run into one sentence: its items' marks are no figures; a number's digits in
        # brackets after its words are.
        ("The purposes shall be to (1) ensure leadership; (2) lead the world.", False),
        ("The term is five (5) years.", True),
        ("The Council has one (1) chair and two (2) deputy chairs.", True),
        ("The Board shall (1) meet two (2) times a year; (2) report yearly.", True),
        ("It covers (1) research and (2) education from 2021.", True),
        # A reference to a part of a text is no figure; a figure beside one still is.
        ("Use the on-boarding process (See Section 2.2.2).", False),
        ("Pasal 5 ayat (2) berlaku.", False),
        ("It is established under 15 U.S.C. 9411(a).", False),
        ("See pp. 12-15.", False),
        ("第5条 规定。", False),
        ("Section 5 requires 30 days.", True),
        ("Chapter 4 (2023) sets the target.", True),  # a year in brackets is no part
        ("Dalam hal 2 (dua) pihak bersengketa.", True),  # "hal" (matter) without its stop
        ("The SEC 2023 guidance applies.", True),
        ("It is a 300-page report.", True),
    ],
)
def test_a_figure_is_a_digit_that_is_not_a_clause_number(sentence: str, figure: bool) -> None:
    assert states_figure(sentence) is figure


@pytest.mark.parametrize(
    ("text", "heading"),
    [
        ("PENJELASAN ATAS PERATURAN PEMERINTAH REPUBLIK INDONESIA", True),
        ("The CSP must notify the JAB and the FedRAMP PMO of the change.", False),
        ("AI USE", False),  # too short to tell from an acronym
        ("第三条 国家坚持发展和安全并重", False),  # no case: never a capitals heading
    ],
)
def test_is_capitals_heading(text: str, heading: bool) -> None:
    assert is_capitals_heading(text) is heading


@pytest.mark.parametrize(
    ("line", "heading"),
    [
        ("Procurement", True),
        ("c. pembatasan kegiatan usaha; dan", False),
        ("(B) the design; and", False),
    ],
)
def test_a_line_with_a_semicolon_continues_a_list_and_heads_nothing(
    line: str, heading: bool
) -> None:
    assert is_heading_line(line) is heading


@pytest.mark.parametrize(
    ("sentence", "following", "lead_in"),
    [
        ("The plan names three priorities:", None, True),
        ("The Task Force shall be composed of 12 members selected, of whom", "(i) 4 shall", True),
        ("Of the funds appropriated, the Director shall", "(1) award grants;", True),
        ("The agency shall publish a report on the following topics,", "- safety", True),
        ("The Task Force shall be composed of 12 members selected.", "(i) 4 shall", False),
        ("(2) Membership", "(A) Composition", False),  # a heading before a sub-heading
        ("The Task Force shall be composed of 12 members selected, of whom", "It met.", False),
        ("The Task Force shall be composed of 12 members selected, of whom", None, False),
        ("The Director shall—", "(1) award grants;", True),  # no heading ends so
        # An item going on, a bullet without a full stop, a marked heading, a footnote mark:
        ("(ii) 4 shall be from institutions of higher education; and", "(iii) 4 shall", False),
        ("- Do not share personal opinions on official accounts", "- Do not endorse", False),
        ("(F) Expenses for non-Federal Members of the Task Force", "(i) Except as", False),
        ("as those terms are defined in 50 U.S.C. 3003 ; 1", "(2) authorizing", False),
    ],
)
def test_leads_into_list(sentence: str, following: str | None, lead_in: bool) -> None:
    assert leads_into_list(sentence, following) is lead_in


def test_a_hyphenated_word_matches_its_closed_form_both_ways() -> None:
    """The seed article's "tech start-ups" never matched a question's "startups" (nor
    "e-commerce" an "ecommerce"): the retrieval and evidence scores missed the one sentence
    naming what the start-ups build."""
    assert "startup" in tokens("the rise of tech start-ups") and "start" in tokens("start-ups")
    assert set(tokens("ecommerce startups")) <= set(tokens("e-commerce start-ups"))
    assert tokens("COVID-19 in 2020-2021") == ["covid", "19", "2020", "2021"]  # digits: parts
