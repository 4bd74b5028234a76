"""name_swap: a fact a passage states of one entity does not answer a question about the
entity the documents pair with it; names the documents never pair, a document's own subject
and a fact stated of the asked entity pass."""

from __future__ import annotations

import pytest

from chatbot.pipeline.coverage import IdfTable
from chatbot.pipeline.evidence import Evidence
from chatbot.pipeline.name_swap import (
    compared_years,
    coordinated,
    could_swap,
    other_year,
    paired_form,
    swapped_name,
    unnamed_subject,
    years_named,
)
from chatbot.pipeline.understand import Query
from chatbot.pipeline.verify import verify
from chatbot.types import Passage
from core.settings import AnswerSettings

TITLE = "Clean Energy: How Norway and Chile Can Work Together"
POPULATION = (
    "Norway, a nation with a population of over 5 million, has a strong grid. "
    "Chile has vast solar resources in the north."
)
PEERS = coordinated([POPULATION], [TITLE])


def test_names_joined_as_equals_pair_up_also_in_title_case_and_lists() -> None:
    assert frozenset(("norway", "chile")) in PEERS
    listed = coordinated(["Both the OECD, the EU and UNESCO signed it. In 2020, Chile joined."])
    assert {
        frozenset(("oecd", "eu")),
        frozenset(("eu", "unesco")),
        frozenset(("oecd", "unesco")),
    } <= listed
    assert not any("chile" in pair for pair in listed)  # "In 2020, Chile" joins nothing


def test_a_neighbours_figure_said_of_the_asked_name_is_a_swap() -> None:
    anchor = "Norway, a nation with a population of over 5 million, has a strong grid."
    swap = swapped_name(
        "Chile's population is over 5 million [1].",
        "How large is Chile's population?",
        [anchor],
        PEERS,
        [TITLE],
    )
    assert swap == ("Chile", "Norway")


def test_a_word_derived_from_a_paired_name_asks_about_it() -> None:
    """ "the Chilean grid" asks about Chile: a neighbour's figure does not answer it."""
    paired = {"norway", "chile", "china", "indonesia"}
    assert paired_form("Chilean", paired) == "chile"
    assert paired_form("Chinese", paired) == "china"
    assert paired_form("Indonesian", paired) == "indonesia"
    assert paired_form("Chilly", paired) == "chilly"  # not "chile": a letter differs
    assert paired_form("Indonesia Raya", paired) == "indonesia raya"  # a longer name
    assert paired_form("Chinatown Authority", paired) == "chinatown authority"
    assert paired_form("Nigerian", {"niger", "nigeria"}) == "nigeria"  # the longest, always
    question = "How large is the Chilean population?"
    assert could_swap(question, PEERS)
    anchor = "Norway, a nation with a population of over 5 million, has a strong grid."
    swap = swapped_name("The Chilean population is over 5 million [1].", question, [anchor], PEERS)
    assert swap == ("Chilean", "Norway")
    stated = "Chilean homes number over 5 million."
    assert swapped_name("Chilean homes number 5 million [1].", question, [stated], PEERS) is None


def test_a_paired_name_inside_a_longer_capitalised_run_is_asked_about() -> None:
    """ "Chilean GDP" and "GDP in Chile" are one capitalised run each: the run is no paired
    name, its word is (a translated question said "Indonesian GDP" of China's 3.7%)."""
    anchor = "Norway, a nation with a population of over 5 million, has a strong grid."
    for question, answer, name in [
        (
            "How large is the Chilean Grid?",
            "The Chilean Grid serves over 5 million [1].",
            "Chilean",
        ),
        (
            "How many use the Grid in Chile?",
            "The Grid in Chile serves over 5 million [1].",
            "Chile",
        ),
    ]:
        assert could_swap(question, PEERS)
        assert swapped_name(answer, question, [anchor], PEERS) == (name, "Norway")
    stated = "The Grid in Chile serves over 5 million homes."
    answer = "The Grid in Chile serves over 5 million [1]."
    assert swapped_name(answer, "How many use the Grid in Chile?", [stated], PEERS) is None


def test_the_words_of_a_longer_proper_name_are_not_asked_about_alone() -> None:
    """ "the Indonesian Personal Data Protection Law" is one law: a passage on that law that
    mentions China's in passing is no swap of Indonesia for China."""
    peers = coordinated(["Indonesia and China signed it.", "The EU and the US differ."])
    law = "What does the Indonesian Personal Data Protection Law require for breach notice?"
    anchor = "The Personal Data Protection Law requires notice in 72 hours; China's PIPL is alike."
    answer = "The Indonesian Personal Data Protection Law requires notice in 72 hours [1]."
    assert swapped_name(answer, law, [anchor], peers) is None
    act = "What does the EU AI Act require of providers?"
    registered = "The AI Act requires providers to register, as do rules in the US."
    answer = "The EU AI Act requires providers to register [1]."
    assert swapped_name(answer, act, [registered], peers) is None


def test_the_asked_name_in_the_anchor_or_an_unpaired_name_is_no_swap() -> None:
    question = "How large is Norway's population?"
    anchor = "Norway, a nation with a population of over 5 million, has a strong grid."
    assert swapped_name("Norway has over 5 million people [1].", question, [anchor], PEERS) is None
    # The Grid Agency is named beside the figure, but the documents never pair it with Chile.
    other = "The Grid Agency counts over 5 million users."
    asked = "How many users does Chile have?"
    assert swapped_name("Chile has over 5 million users [1].", asked, [other], PEERS) is None


def test_the_documents_subject_need_not_be_repeated() -> None:
    """A FedRAMP policy's sentence about "the AO's decision" is FedRAMP's, though the policy
    pairs FedRAMP with the AO elsewhere; the title names FedRAMP only."""
    peers = coordinated(["FedRAMP and the AO review the change."])
    title = "FedRAMP Significant Change Policies and Procedures"
    anchor = "A significant change is one that affects the basis of the AO's decision."
    answer = "FedRAMP defines a significant change as one that affects the decision [1]."
    question = "How does FedRAMP define a significant change?"
    assert swapped_name(answer, question, [anchor], peers, [title]) is None
    assert swapped_name(answer, question, [anchor], peers, ["Change Procedures"]) is not None


def test_a_title_naming_the_derived_word_or_its_name_is_the_documents_subject() -> None:
    """Review: "the Chilean grid" in a document titled "Chilean Grid Report" (or "Chile's Grid
    Report") is the document's subject, though a sentence names Norway beside the figure."""
    question = "How large is the Chilean grid?"
    anchor = "Norway, a nation with a population of over 5 million, has a strong grid."
    answer = "The Chilean grid serves over 5 million people [1]."
    for title in ("Chilean Grid Report", "Chile's Grid Report"):
        assert swapped_name(answer, question, [anchor], PEERS, [title]) is None
    assert swapped_name(answer, question, [anchor], PEERS, ["Grid Report"]) is not None


def test_a_neighbour_named_for_contrast_is_not_the_subject() -> None:
    """Review: "Compared with Norway, the country ..." speaks of the asked country."""
    question = "What share of Chile's electricity is solar?"
    answer = "Chile generates 30% of its electricity from the sun [1]."
    for anchor in (
        "Compared with Norway, the country generates 30% of its electricity from the sun.",
        "Unlike Norway, the country generates 30% of its electricity from the sun.",
    ):
        assert swapped_name(answer, question, [anchor], PEERS) is None
    anchor = "Norway generates 30% of its electricity from the sun."
    assert swapped_name(answer, question, [anchor], PEERS) == ("Chile", "Norway")


def test_commas_alone_join_nothing_and_an_acronym_names_its_entity() -> None:
    """Review: "According to BPS, Indonesia ..." and "Jakarta, Indonesia" are no lists; "BI"
    in a sentence names Bank Indonesia; "The US" is an acronym, not a function word."""
    assert coordinated(["According to BPS, Indonesia has 25.9 million poor people."]) == set()
    assert coordinated(["The office is in Jakarta, Indonesia."]) == set()
    assert frozenset(("us", "china")) in coordinated(["The US and China compete in AI."])
    peers = coordinated(["Bank Indonesia and OJK share oversight."])
    anchor = "BI requires payment firms to hold Rp 3 billion, while OJK oversees lenders."
    answer = "Bank Indonesia requires payment firms to hold Rp 3 billion [1]."
    assert (
        swapped_name(answer, "What must payment firms hold for Bank Indonesia?", [anchor], peers)
        is None
    )


def test_a_runs_first_and_last_words_stand_in_only_in_a_title() -> None:
    assert frozenset(("indonesia", "ojk")) not in coordinated(["Bank Indonesia and OJK met."])
    assert frozenset(("indonesia", "china")) in coordinated([], ["How Indonesia and China Can Win"])


def test_many_equal_anchors_tell_where_the_fact_is_only_when_each_names_the_neighbour() -> None:
    anchors = [f"Norway builds grid number {n}." for n in range(3)]
    answer, question = "Chile builds grids [1].", "What does Chile build?"
    assert swapped_name(answer, question, anchors, PEERS) == ("Chile", "Norway")
    unnamed = [*anchors[:2], "The state builds grid number 3."]
    assert swapped_name(answer, question, unnamed, PEERS) is None
    # a neighbour named in a form derived from its name ("Chilean firms") is named
    derived = [f"Chilean firms build grid number {n}." for n in range(3)]
    asked = ("Norway builds grids [1].", "What does Norway build?")
    assert swapped_name(*asked, derived, PEERS) == ("Norway", "Chilean")
    # ... also where the title names both ("How Norway and Chile ...")
    titled = ["How Norway and Chile Build Grids"]
    assert swapped_name(*asked, derived[:1], PEERS, titled) == ("Norway", "Chilean")


def _passage(text: str) -> Passage:
    return Passage(
        chunk_id="c1", doc_id="d1", title=TITLE, variant="original", location="¶1",
        text=text, score=0.5, group_id="c1",
    )  # fmt: skip


def test_verify_finds_the_sentence_by_its_figure_though_its_words_differ() -> None:
    """Review: the figure's own words ("88% of Chile's electricity") are what was swapped, so
    the passage sentence stating it is found by the figure's value."""
    text = "In Norway, hydropower supplies 88% of electricity. Chile has vast solar resources."
    evidence = Evidence(passages={1: _passage(text)})
    idf = IdfTable([text, TITLE, "Solar farms are built in the desert."])
    asked = Query("Where does Chile's electricity come from?", "en")
    answer = "Hydropower supplies 88% of Chile's electricity [1]."
    verdict = verify(answer, asked, evidence, lambda t: False, idf, AnswerSettings().min_overlap)
    assert verdict.outcome == "unsupported" and verdict.invented


def test_verify_drops_a_neighbours_fact_and_counts_it_as_invented() -> None:
    """The claim check alone passes it: the passage states 5 million and names Chile."""
    evidence = Evidence(passages={1: _passage(POPULATION)})
    idf = IdfTable([POPULATION, TITLE, "Solar farms are built in the desert."])
    min_overlap = AnswerSettings().min_overlap
    asked = Query("How large is Chile's population?", "en")
    verdict = verify(
        "Chile's population is over 5 million [1].",
        asked,
        evidence,
        lambda t: False,
        idf,
        min_overlap,
    )
    assert verdict.outcome == "unsupported" and verdict.invented
    assert "says this of Norway, not Chile" in verdict.dropped[0]
    asked = Query("How large is Norway's population?", "en")
    verdict = verify(
        "Norway's population is over 5 million [1].",
        asked,
        evidence,
        lambda t: False,
        idf,
        min_overlap,
    )
    assert verdict.outcome == "answered" and not verdict.invented


def test_a_figure_for_another_year_than_the_one_asked_is_no_answer() -> None:
    """A sum listed for 2021-2025 is no answer for 2026; the passage saying the asked year, the
    answer saying it too, or the year being the document's own is no mismatch."""
    passage = "(4) $1,004,820,000 for fiscal year 2024; (5) $1,055,060,000 for fiscal year 2025."
    asked = "How much does the law authorize in fiscal year 2026?"
    answer = "$1,055,060,000 for fiscal year 2025 [1]."
    assert other_year(answer, asked, [passage]) == ("2026", "2025")
    assert other_year(answer, asked.replace("2026", "2025"), [passage]) is None
    assert other_year(answer, asked, [passage], ["Budget Outlook 2026"]) is None
    assert other_year("In 2026, as in 2025, $5 [1].", asked, [passage]) is None
    # full-width digits are the same year
    budget = "２０２４年度のAI関連予算額は100億円（2023年度は90億円）である。"
    assert other_year(budget, "2024年度のAI関連予算はいくらですか？", [budget]) is None
    evidence = Evidence(passages={1: _passage(passage)})
    idf = IdfTable([passage, TITLE, "Solar farms are built in the desert."])
    min_overlap = AnswerSettings().min_overlap
    query = Query(asked, "en", asks_quantity=True)
    verdict = verify(answer, query, evidence, lambda t: False, idf, min_overlap)
    assert verdict.outcome == "unsupported" and verdict.invented
    # a bare figure says its year through the passage sentence stating it
    verdict = verify("$1,055,060,000 [1].", query, evidence, lambda t: False, idf, min_overlap)
    assert verdict.outcome == "unsupported" and "gives 2025's figure" in verdict.dropped[0]
    query = Query(asked.replace("2026", "2025"), "en", asks_quantity=True)
    verdict = verify("$1,055,060,000 [1].", query, evidence, lambda t: False, idf, min_overlap)
    assert verdict.outcome == "answered"
    # A year beside no figure may name a document ("the October 2024 memorandum").
    query = Query("Which order does the 2024 memorandum fulfil?", "en")
    answer = "It fulfils Executive Order 14110 of October 30, 2023 [1]."
    order = "This memorandum fulfills Executive Order 14110 of October 30, 2023."
    ev = Evidence(passages={1: _passage(order)})
    assert (
        verify(answer, query, ev, lambda t: False, IdfTable([order, passage]), min_overlap).outcome
        == "answered"
    )


STRATEGY = "Through Korika, the government released the National AI Strategy in 2020."
VISA = "The government granted a Golden Visa to Sam Altman, the founder of OpenAI."
ARTICLE = ["A Robust AI Ecosystem: How Indonesia and China Can Achieve It Together"]


def test_a_figure_from_a_passage_that_never_names_what_was_asked() -> None:
    visa = "In which year did Sam Altman receive Indonesia's Golden Visa?"
    every = [STRATEGY, VISA]
    assert "Sam Altman" in unnamed_subject(visa, [STRATEGY], every, ARTICLE)
    assert unnamed_subject(visa, [STRATEGY, VISA], every, ARTICLE) == []  # one names it
    # the document's title names what every passage is about
    strategy = "In which year did Indonesia release its National AI Strategy?"
    assert unnamed_subject(strategy, [STRATEGY], every, ARTICLE) == []
    # no passage names it: nothing tells the figure's passage apart
    assert unnamed_subject("When did Japan join?", [STRATEGY], every, ARTICLE) == []


def test_a_passage_names_what_was_asked_by_a_word_or_its_initials() -> None:
    nsf = "(g) There are authorized to the National Science Foundation (2) $911,400,000 for 2022;"
    noaa = "The NOAA Administrator shall establish a Center for Artificial Intelligence."
    task_force = "The Task Force shall terminate 90 days after its final report."
    named = "The National AI Research Resource Task Force is established."
    every = [nsf, noaa, task_force, named]
    assert unnamed_subject("How much is authorized for the NSF in FY2022?", [nsf], every) == []
    assert unnamed_subject("How much for NOAA in FY2022?", [nsf], every) == ["NOAA in FY2022"]
    when = "How many days after its report does the National AI Research Resource Task Force end?"
    assert unnamed_subject(when, [task_force], every) == []
    # a name with "and" in it stands for its initials, and they for it
    nist = "The National Institute of Standards and Technology was given $1.6 billion in 2023."
    named = [nist, "NIST leads the work."]
    assert unnamed_subject("What was NIST's budget in 2023?", [nist], named) == []
    # a capital starting the question is no name
    cost = "Total expenditure reached $5 million."
    assert unnamed_subject("Roughly how much?", [cost], [cost, "Roughly Ltd met."]) == []


def test_a_name_the_title_abbreviates_is_the_documents_own() -> None:
    """ "under the US Code" names the document titled "... (15 U.S.C. 9401–9415)", which its
    first passage calls "United States Code": no other thing the answer's passage omits."""
    question = "When is the Initiative set to expire under the US Code?"
    sunset = "The Initiative shall terminate on the date that is 10 years after January 1, 2021."
    every = [sunset, "United States Code, Title 15. The Initiative is established."]
    title = ["National AI Initiative — Definitions (15 U.S.C. 9401–9415)"]
    assert unnamed_subject(question, [sunset], every, title) == []
    assert unnamed_subject(question, [sunset], every) == ["US Code"]
    noaa = "How much for NOAA in FY2022?"  # a name no title abbreviates is still read
    nsf = "(2) $911,400,000 for the National Science Foundation for 2022;"
    center = "The NOAA Administrator shall establish a Center."
    assert unnamed_subject(noaa, [nsf], [nsf, center], title) == ["NOAA in FY2022"]


def test_a_document_names_years_in_ranges_dates_and_fiscal_years() -> None:
    text = "Budget 2019-2020; FY21; 2022-23; issued 2026-01-15 and 15.01.2027; ２０３０年."
    assert years_named(text) == {"2019", "2020", "2021", "2022", "2023", "2026", "2027", "2030"}
    assert years_named("Version 2.0 of 12 pages, with 140 items") == set()


@pytest.mark.parametrize(
    ("question", "years"),
    [
        ("Did the regulation take effect before 2025?", {"2025"}),
        ("Which operators registered before the end of 2021?", {"2021"}),
        ("Apa yang berubah sejak tahun 2019?", {"2019"}),
        ("Apa yang harus selesai sebelum akhir tahun 2025?", {"2025"}),
        ("２０２０年以前的规定是什么？", {"2020"}),
        ("What changed since the 1990s?", {"1990"}),
        ("Which operators must register by the end of 2030?", set()),  # a deadline
        ("2030年までに何を達成しますか？", set()),
        ("What goals did 2024's charter set?", set()),  # a possessive, not a decade
        ("2020年前半の計画は？", set()),  # the first half of 2020
        ("How did the 2024 revision change the definition?", set()),  # the time of the thing
        ("What happened in 2023?", set()),
        ("What does the FY2024 budget fund?", set()),
    ],
)
def test_years_a_question_measures_against(question: str, years: set[str]) -> None:
    assert compared_years(question) == years
