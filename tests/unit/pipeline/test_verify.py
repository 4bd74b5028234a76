"""Step 5, verify: every link, number and name an answer sentence states must be in a passage it
cites; a sentence cited to the wrong passage is re-pointed; claimless sentences and refusals."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from chatbot.pipeline.coverage import IdfTable
from chatbot.pipeline.evidence import Evidence, Sentence
from chatbot.pipeline.prompts import SENTINEL
from chatbot.pipeline.understand import Query
from chatbot.pipeline.verify import (
    Verdict,
    claims_to_check,
    echoes_question,
    loops,
    new_claims,
    says_something,
    unstated,
    verify,
)
from chatbot.types import Passage
from core.settings import AnswerSettings

ALPHA = (
    "The alpha project builds solar farms in the northern provinces. It started in 2019. "
    "Details are at https://alpha.example/report."
)
DELTA = "The delta project builds solar farms in the southern provinces. It started in 2021."
OCEAN = "The ocean strategy was drafted by Korika, a research group, in 2021."


def passage(n: int, text: str, *variants: str) -> Passage:
    return Passage(
        chunk_id=f"c{n}",
        doc_id=f"d{n}",
        title=f"Doc {n}",
        variant="original",
        location="¶1",
        text=text,
        score=0.5,
        group_id=f"c{n}",
        variants=tuple({"variant": "ja-derived", "text": v} for v in variants),
    )


def evidence(*texts: str) -> Evidence:
    return Evidence(passages={n: passage(n, t) for n, t in enumerate(texts, start=1)})


def never(text: str) -> bool:
    return False


QUESTION = Query("Which projects build solar farms?", "en")
IDF = IdfTable([ALPHA, DELTA, OCEAN, "Funding comes from a regional bank.", "Nurses train."])
MIN_OVERLAP = AnswerSettings().min_overlap


def check(
    text: str,
    ev: Evidence,
    query: Query = QUESTION,
    is_refusal: Callable[[str], bool] = never,
) -> Verdict:
    return verify(text, query, ev, is_refusal, IDF, MIN_OVERLAP)


# --- what a sentence states that its passages do not ------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "passage_text", "lang", "missing"),
    [
        (
            "AI could add 600 billion dollars a year [1].",
            "AI could add US$600,000 million a year",
            "en",
            [],
        ),
        (
            "AI could add 700 billion dollars a year [1].",
            "AI could add US$600,000 million a year",
            "en",
            ["700"],
        ),
        ("每年 6000亿 美元 [1]。", "AI could add US$600 billion a year.", "zh", []),
        ("每年 9000亿 美元 [1]。", "AI could add US$600 billion a year.", "zh", ["9000"]),
        ("Penduduknya 270 juta orang [1].", "a population of over 270 million", "id", []),
        ("Pertumbuhan 3,7 persen per tahun [1].", "growth of 3.7% a year", "id", []),
        ("Pertumbuhan 4,7 persen per tahun [1].", "growth of 3.7% a year", "id", ["47"]),
        # 17 countries are not US$17 billion (the digits alone were taken before)
        ("Bank Dunia mendukung 17 negara [1].", "its US$17 billion portfolio (2020)", "id", ["17"]),
        ("Portofolionya US$17 miliar [1].", "its US$17 billion portfolio (2020)", "id", []),
        ("It started in 2019 [1][2].", "It started in 2019.", "en", []),  # marker digits skipped
    ],
)
def test_numbers_are_compared_by_value_with_scale_words(
    sentence: str, passage_text: str, lang: str, missing: list[str]
) -> None:
    assert unstated(sentence, [passage_text], lang) == missing


@pytest.mark.parametrize(
    ("sentence", "lang", "invented"),
    [
        ("人工智能每年带来约9000亿美元 [1]。", "zh", "9000"),
        ("インドネシアは2031年に戦略を発表した [1]。", "ja", "2031"),
    ],
)
def test_a_number_right_after_cjk_text_is_checked(sentence: str, lang: str, invented: str) -> None:
    texts = ["AI adds US$600 billion a year; the strategy came out in 2020."]
    assert unstated(sentence, texts, lang) == [invented]  # actual: []


def test_names_in_english_answers_must_be_stated() -> None:
    texts = ["Indonesia and China signed the cooperation agreements with Korika."]
    assert unstated("The alpha project is run by Sam Altman [1].", texts, "en") == ["Sam Altman"]
    assert unstated("Indonesian officials worked with Korika [1].", texts, "en") == []
    # A single capital that starts a sentence may be any word; it is not a name.
    assert unstated("Officials signed the agreements [1].", texts, "en") == []
    assert claims_to_check("It was drafted by Korika with help from Jakarta.", "en") == [
        "Jakarta",
        "Korika",
    ]


def test_acronyms_in_indonesian_answers_must_be_stated() -> None:
    texts = ["The plan names the National Cyber and Crypto Agency (BSSN) as the lead."]
    assert unstated("BSSN memimpin keamanan data pelabuhan [1].", texts, "id") == []
    assert unstated("KPK memimpin keamanan data pelabuhan [1].", texts, "id") == ["KPK"]
    # Capitalised Indonesian words are ordinary words written in Indonesian, not names.
    assert unstated("Pemerintah Indonesia menunjuk BSSN [1].", texts, "id") == []
    assert claims_to_check("Pemerintah menunjuk BSSN dan KPK.", "id") == ["BSSN", "KPK"]


def test_latin_runs_in_chinese_answers_must_be_stated() -> None:
    texts = [OCEAN]
    assert unstated("该战略由 Korika 起草 [1]。", texts, "zh") == []
    assert unstated("该战略由 Corica 起草 [1]。", texts, "zh") == ["Corica"]
    assert claims_to_check("该战略由 Korika 和 Stranas KA 起草。", "ja") == ["Korika", "Stranas KA"]


def test_a_latin_run_ends_where_the_chinese_text_starts() -> None:
    assert claims_to_check("印度尼西亚发布了国家AI战略。", "zh") == ["AI"]
    assert unstated("该战略由Korika起草 [1]。", [OCEAN], "zh") == []
    assert unstated("印度尼西亚发布了国家AI战略 [1]。", ["its national AI strategy"], "zh") == []


def test_links_must_be_stated() -> None:
    texts = [ALPHA]
    assert unstated("Read more at https://alpha.example/report [1].", texts, "en") == []
    assert unstated("Read more at HTTPS://Alpha.example/report [1].", texts, "en") == []
    assert unstated("Log in at http://evil.example/login [1].", texts, "en") == [
        "http://evil.example/login"
    ]
    assert unstated("Write to press@alpha.example [1].", texts, "en") == ["press@alpha.example"]


def test_says_something_beyond_the_question() -> None:
    question = "When did the alpha project start?"
    assert says_something("It started in 2019 [1].", question)
    assert not says_something("The alpha project started [1].", question)
    assert not says_something("When did the alpha project start [1]?", question)


def test_a_sentence_asking_the_question_back_is_no_claim() -> None:
    question = "Menurut makalah Bank Dunia, berapa bagian rumah tangga yang memiliki telepon?"
    # The model's echo, glued by its short tail ("p.6.") into one sentence with the mark.
    assert echoes_question(
        "Menurut makalah Bank Dunia, berapa bagian rumah tangga yang memiliki telepon [1]? p.6.",
        question,
    )
    assert echoes_question("銀行の報告書では何％ですか？[1]", "銀行の報告書では何％ですか？")
    assert not echoes_question("Almost three-fourths of households have a phone [1].", question)
    assert not echoes_question("Why EdTech? Because it helps 53% of teachers [1].", question)
    # A short answer after the echo makes one sentence with it: it answers.
    asked = "What share of households own a phone?"
    assert not echoes_question("What share of households own a phone? About 74% [1].", asked)
    assert not echoes_question("何パーセントですか？ 約74％です[1]。", "何パーセントですか？")


# --- verify -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        SENTINEL,
        f"Sorry. {SENTINEL}.",
        "NOT IN DOCUMENTS",
        f"Solar farms [1]. {SENTINEL}",
        "Solar farms [1]. Not_IN_DOCUMENTS [1]",
    ],
)
def test_the_sentinel_is_a_refusal(text: str) -> None:
    assert check(text, evidence(ALPHA)).outcome == "refused"


def test_a_refusal_in_words_is_a_refusal() -> None:
    said: list[str] = []

    def refuses(text: str) -> bool:
        said.append(text)
        return True

    verdict = check("The passages do not say.", evidence(ALPHA), is_refusal=refuses)
    assert (verdict.text, verdict.outcome) == ("", "refused")
    assert said == ["The passages do not say."]


def test_a_sentence_with_an_unstated_number_or_name_is_dropped() -> None:
    text = (
        "The alpha project builds solar farms [1]. It cost 9 million dollars [1]. "
        "It is run by Sam Altman [1]."
    )
    verdict = check(text, evidence(ALPHA))
    assert (verdict.text, verdict.outcome) == (
        "The alpha project builds solar farms [1].",
        "answered",
    )
    assert len(verdict.dropped) == 2
    assert "9" in verdict.dropped[0] and "Sam Altman" in verdict.dropped[1]


def test_a_claim_cited_to_the_wrong_passage_is_repointed_to_one_that_states_it() -> None:
    text = "The alpha project started in 2019 [1]. The delta project started in 2021 [1]."
    verdict = check(text, evidence(ALPHA, DELTA))
    assert verdict.text == (
        "The alpha project started in 2019 [1]. The delta project started in 2021 [2]."
    )
    assert verdict.outcome == "answered" and verdict.dropped == []


def test_no_passage_stating_it_means_no_repair() -> None:
    verdict = check("The delta project started in 2031 [1].", evidence(ALPHA, DELTA))
    assert verdict.outcome == "unsupported" and verdict.text == ""
    assert "2031" in verdict.dropped[0]


def test_a_variant_wording_counts_as_stated() -> None:
    ev = Evidence(passages={1: passage(1, OCEAN, OCEAN.replace("Korika", "Corica"))})
    query = Query("Who drafted the ocean strategy?", "en")
    verdict = check("It was drafted by Corica in 2021 [1].", ev, query)
    assert verdict.text == "It was drafted by Corica in 2021 [1]."


def test_an_unmarked_sentence_is_checked_against_every_passage() -> None:
    ev = evidence(ALPHA, DELTA)
    kept = check("The delta project started in 2021.", ev)
    assert kept.text == "The delta project started in 2021." and kept.outcome == "answered"
    # A marker to a passage the answer was not given counts as no marker.
    assert check("Delta started in 2021 [7].", ev).outcome == "answered"
    assert check("Delta started in 2022 [7].", ev).outcome == "unsupported"


@pytest.mark.parametrize(
    ("question", "text"),
    [
        ("What is the alpha project?", "The alpha project [1]."),  # no claim
        ("Which projects build solar farms?", "Which projects build solar farms [1]?"),  # echo
    ],
)
def test_claimless_and_echo_sentences_are_dropped(question: str, text: str) -> None:
    verdict = check(text, evidence(ALPHA), Query(question, "en"))
    assert (verdict.text, verdict.outcome) == ("", "unsupported")
    assert verdict.dropped == [f"{text} (says nothing the question does not)"]


def test_an_english_sentence_sharing_no_words_with_its_passage_is_dropped() -> None:
    text = "The alpha project builds solar farms [1]. This is supported by passage [1]."
    verdict = check(text, evidence(ALPHA))
    assert verdict.text == "The alpha project builds solar farms [1]."
    assert verdict.dropped == [
        "This is supported by passage [1]. (shares almost no words with its passages)"
    ]
    # Other languages are checked by names and numbers only.
    indonesian = Query("Proyek apa yang membangun ladang surya?", "id")
    assert check("Ini didukung oleh kutipan [1].", evidence(ALPHA), indonesian).outcome == (
        "answered"
    )


@pytest.mark.parametrize(
    "tail",
    [
        "This is supported by passage [2].",  # shares almost no words with the passages
        "Which projects build solar farms [2]?",  # says nothing the question does not
    ],
)
def test_a_citation_only_sentence_cites_the_unmarked_sentence_before_it(tail: str) -> None:
    verdict = check(f"The delta project started in 2021. {tail}", evidence(ALPHA, DELTA))
    assert verdict.text == "The delta project started in 2021 [2]."
    assert verdict.dropped == [f"{tail} (its marker given to the sentence before it)"]
    # A sentence that already cites keeps its own marker; the empty one is dropped.
    verdict = check(f"The delta project started in 2021 [2]. {tail}", evidence(ALPHA, DELTA))
    assert verdict.text == "The delta project started in 2021 [2]." and len(verdict.dropped) == 1


def test_a_marker_is_lent_only_to_a_sentence_its_passage_states() -> None:
    """A wrong marker after a good sentence: the sentence stays unmarked, checked against every
    passage (and cited later by what it restates), instead of dropped with the wrong one."""
    text = (
        "The alpha project builds solar farms in the northern provinces. This is supported by [2]."
    )
    verdict = check(text, evidence(ALPHA, "Funding comes from a regional bank."))
    assert verdict.outcome == "answered"
    assert verdict.text == "The alpha project builds solar farms in the northern provinces."


def test_a_repointed_sentence_is_judged_by_the_passage_it_now_cites() -> None:
    verdict = check("The delta project started in 2021 [1].", evidence(ALPHA, DELTA))
    assert verdict.text == "The delta project started in 2021 [2]."


def test_an_echo_is_dropped_and_a_claim_beside_it_kept() -> None:
    text = "Which projects build solar farms [1]? The alpha project builds them in the north [1]."
    verdict = check(text, evidence(ALPHA))
    assert verdict.text == "The alpha project builds them in the north [1]."
    assert [d.endswith("(says nothing the question does not)") for d in verdict.dropped] == [True]


def test_sentences_are_split_in_the_answer_language() -> None:
    text = "该战略于 2021 年起草 [1]。该战略于 2031 年修订 [1]。"
    verdict = check(text, evidence(OCEAN), Query("该战略是谁起草的？", "zh"))
    assert verdict.text == "该战略于 2021 年起草 [1]。"
    assert "2031" in verdict.dropped[0]


def test_a_number_must_count_the_same_thing_as_in_its_passage() -> None:
    code = "United States Code, Title 15 (Commerce and Trade). The Task Force has 12 members."
    for answer, missing in (
        ("The Advisory Committee has 15 members [1].", ["15"]),  # "Title 15" counts no members
        ("The Task Force is composed of 12 members [1].", []),
        ("It began in 2019 [1].", []),  # too few words near the number to compare
    ):
        assert [m for m in unstated(answer, [code, ALPHA], "en") if m.isdigit()] == missing


def test_a_passage_in_another_language_states_a_number_by_its_value() -> None:
    """The words around a number are compared in English passages only: an English answer
    over an Indonesian regulation says "20 days" where the passage says "20 (dua puluh) hari"."""
    pojk = (
        "OJK memberikan persetujuan atau penolakan atas permohonan perizinan paling lama 20 "
        "(dua puluh) hari kerja sejak diterimanya dokumen permohonan perizinan sesuai dengan "
        "persyaratan dalam peraturan OJK ini, dan Penyelenggara wajib menyampaikan laporan."
    )
    answer = "OJK decides within 20 working days [1]."
    assert unstated(answer, [pojk], "en") == []
    assert unstated("OJK decides within 30 working days [1].", [pojk], "en") == ["30"]
    english = "OJK decides on an application within 20 working days of receiving it."
    assert unstated("OJK has 20 members [1].", [english], "en") == ["20"]
    # too few letters to tell a language by: read as English (a list of sums is no language)
    sums = "(1) $200,000,000 for fiscal year 2021; (2) $214,000,000 for fiscal year 2022;"
    assert unstated("It has 200,000,000 members [1].", [sums], "en")


def test_a_sentence_adding_only_the_questions_names_is_repaired_from_its_passage() -> None:
    fourth = "The fourth opportunity is cooperation in cybersecurity."
    ev = evidence(fourth)
    ev.sentences = [Sentence(1, 0, fourth, 1.0)]
    idf = IdfTable([fourth, "Trade grows in the region.", "Ports are busy all year."])
    question = Query("What is the fourth opportunity for Indonesia and China?", "en")

    def run(answer: str) -> Verdict:
        return verify(answer, question, ev, never, idf, MIN_OVERLAP)

    repaired = run(
        "The fourth opportunity for Indonesia and China is cooperation in cybersecurity [1]."
    )
    assert repaired.text == "The fourth opportunity is cooperation in cybersecurity [1]."
    invented = run("The fourth chance for Brazil is cooperation in cybersecurity [1].")
    assert invented.outcome == "unsupported"  # Brazil is not the question's word


def test_a_repeated_sentence_is_said_once() -> None:
    text = "The alpha project builds solar farms [1]. The alpha project builds solar farms [1]."
    assert check(text, evidence(ALPHA)).text == "The alpha project builds solar farms [1]."


def test_a_looping_answer_keeps_one_turn_of_the_loop() -> None:
    loop = "The alpha project builds solar farms in the north [1]. " * 4
    assert check(loop.strip(), evidence(ALPHA)).text == (
        "The alpha project builds solar farms in the north [1]."
    )


def test_a_phrase_said_three_times_in_a_sentence_is_a_loop() -> None:
    passage = "The restriction prohibits covert propaganda, self-aggrandizement and partisan work."
    looping = (
        "It prohibits activities prohibited by restriction on activities prohibited by "
        "restriction on activities prohibited by restriction on publicity [1]."
    )
    assert loops(looping, [passage])
    assert not loops("It prohibits covert propaganda and partisan work [1].", [passage])
    # A phrase the passage itself repeats is the passage's, not a loop.
    listing = "the right to vote, the right to vote early, the right to vote by mail"
    assert not loops(f"It grants {listing} [1].", [f"The law grants {listing}."])


def test_new_claims_are_the_numbers_and_names_the_question_does_not_say() -> None:
    question = "インドネシアはいつ国家AI戦略を発表しましたか？"
    assert new_claims("Indonesiaは2020年に国家AI戦略を発表しました。", "ja", question) == [
        "2020",
        "Indonesia",
    ]
    assert new_claims("国家AI戦略を発表しました。", "ja", question) == []


@pytest.mark.parametrize(
    "sentence",
    ["利点があります。 1.", "1. The task force has 12 members [1].", "Benefits: 2) more data [1]."],
)
def test_a_list_items_number_is_not_a_claim(sentence: str) -> None:
    texts = ["The task force has 12 members. Benefits of more data."]
    assert unstated(sentence, texts, "ja" if "利" in sentence else "en") == []


def test_a_small_number_inside_a_sentence_is_still_a_claim() -> None:
    assert unstated("The task force has 12.", ["Nothing here."], "en") == ["12"]


def test_a_list_number_stays_with_its_item_not_the_sentence_before() -> None:
    text = "1. 利点は多くのデータです [1]。 2. モデルが正確になります [1]。"
    verdict = check(text, evidence("More data makes models accurate."), Query("利点は何？", "ja"))
    assert verdict.text == "1. 利点は多くのデータです [1]。 2. モデルが正確になります [1]。"


@pytest.mark.parametrize(
    ("sentence", "invented"),
    [
        ("The fine is 1.5.", ["15"]),
        ("Regulation No. 46.", ["46", "Regulation No"]),
        ("The ratio is 3:1.", ["3", "1"]),
    ],
)
def test_a_figure_ending_a_sentence_is_no_list_number(sentence: str, invented: list[str]) -> None:
    assert unstated(sentence, ["Nothing of the sort."], "en") == invented


@pytest.mark.parametrize(
    "sentence", ["Growth was 4.5.", "The ratio is 3:1.", "pukul 08.00.", "Regulation No. 46."]
)
def test_a_figure_at_a_sentences_end_is_not_taken_for_the_next_items_number(
    sentence: str,
) -> None:
    verdict = check(sentence, evidence(sentence), Query("Which figure?", "id"))
    assert verdict.text.startswith(sentence.rstrip("."))


def test_a_number_inside_a_larger_number_of_the_question_is_a_new_claim() -> None:
    assert new_claims("该计划实施5年。", "zh", "2025年的计划要实施几年？") == ["5"]


def test_a_name_the_question_gives_is_kept_when_its_document_states_it_elsewhere() -> None:
    # The answer says "Indonesian", as the question did, and its passage does not; a passage
    # of the same document names the country. Another document naming it is no licence.
    limit = "The maximum loan of a lending platform is Rp2.000.000.000,00 (two billion rupiah)."
    country = "A lending platform is a legal entity of Indonesia."
    query = Query("What is the maximum loan of an Indonesian lending platform?", "en")
    answer = "The maximum loan of an Indonesian lending platform is Rp2.000.000.000,00 [1]."
    same = Evidence(passages={1: passage(1, limit), 2: replace(passage(1, country), chunk_id="x")})
    idf = IdfTable([limit, country, ALPHA, DELTA])
    assert verify(answer, query, same, never, idf, MIN_OVERLAP).outcome == "answered"
    other = evidence(limit, country)
    assert verify(answer, query, other, never, idf, MIN_OVERLAP).outcome == "unsupported"
    # A name sharing only its first letters with a word of the document is not stated there.
    single = "A single borrower may take one loan."
    asked = Query("What is the maximum loan of a Singaporean lending platform?", "en")
    claim = "The maximum loan of a Singaporean lending platform is Rp2.000.000.000,00 [1]."
    near = Evidence(passages={1: passage(1, limit), 2: replace(passage(1, single), chunk_id="x")})
    assert verify(claim, asked, near, never, idf, MIN_OVERLAP).outcome == "unsupported"


def test_the_sentinels_words_in_prose_are_no_refusal() -> None:
    text = "Assets not in documents filed with the agency are excluded [1]."

    assert (
        check(text, evidence("Assets not in documents filed with the agency are excluded.")).outcome
        != "refused"
    )


@pytest.mark.parametrize(
    ("answer", "missing"),
    [
        ("勧告は2019年5月22日に採択されました。", []),  # the month by its English name
        ("勧告は2019年6月22日に採択されました。", ["6"]),  # another month
        ("建议于2019年5月通过。", []),
    ],
)
def test_a_chinese_or_japanese_month_is_stated_by_its_name(answer: str, missing: list[str]) -> None:
    """fo16: "2019年5月22日" over "on 22 May 2019" was dropped for its "5"."""
    passage = "The Recommendation was adopted by the Council on 22 May 2019."
    assert unstated(answer, [passage], "ja") == missing


def test_may_beside_no_figure_is_a_verb_not_a_month() -> None:
    passage = "The Council may adopt it; it was adopted on 22 June 2019."
    assert unstated("勧告は2019年5月22日に採択されました。", [passage], "ja") == ["5"]


POJK_ANNUAL = (
    "Laporan tahunan sebagaimana ayat (4) disampaikan kepada Kepala Eksekutif Pengawas "
    "Perasuransian, Dana Pensiun, Lembaga Pembiayaan, dan Lembaga Jasa Keuangan Lainnya paling "
    "lambat 20 (dua puluh) hari kerja setelah periode pelaporan berakhir. Penyelenggara wajib "
    "menyampaikan laporan tahunan kepada OJK untuk periode pelaporan satu tahun penuh."
)


def test_an_english_answer_over_a_passage_in_another_language_is_checked_by_its_claims() -> None:
    """An English answer over an Indonesian regulation shares no English words with it: its
    figures and names are checked, as an answer in another language's are. The question's own
    names must still be stated ("P2P", "Under Indonesia's OJK": the evaluation counts them as
    facts the passage lacks)."""
    query = Query(
        "Under Indonesia's OJK regulation on IT-based money lending, how many working days "
        "after the reporting period ends does an operator have to submit its annual report?",
        "en",
    )
    said = (
        "An operator has to submit its annual report to OJK 20 working days after the "
        "reporting period ends [1]."
    )
    assert check(said, evidence(POJK_ANNUAL), query).outcome == "answered"
    named = (
        f"Under Indonesia's OJK regulation on IT-based money lending, {said[0].lower()}{said[1:]}"
    )
    assert check(named, evidence(POJK_ANNUAL), query).outcome == "unsupported"
    wrong = said.replace("20 working", "30 working")
    assert check(wrong, evidence(POJK_ANNUAL), query).outcome == "unsupported"
    # No figure or name of its own to check: not kept on that passage's word.
    vague = "The operator must be diligent about its reporting duties [1]."
    assert check(vague, evidence(POJK_ANNUAL), query).outcome == "unsupported"
    # Over an English passage the question's names must still be stated.
    english = "Operators submit the annual report within 20 working days after the period ends."
    assert check(said, evidence(english), query).outcome == "unsupported"


def test_a_count_from_a_clause_number_is_invented() -> None:
    title = "Title 15 (Commerce and Foreign Trade) governs the council and its work."
    question = Query("理事会有多少名成员？", "zh", asks_for="count")
    verdict = check("理事会有15名成员 [1]。", evidence(title), question)
    assert verdict.outcome == "unsupported" and verdict.invented
    counted = "The council has 15 members under Title 15 (Commerce and Foreign Trade)."
    assert check("理事会有15名成员 [1]。", evidence(counted), question).outcome == "answered"
    # cited to the wrong passage: another passage counts it
    two = evidence(title, "The council has 15 members.")
    assert check("理事会有15名成员 [1]。", two, question).outcome == "answered"


def test_a_length_of_time_in_another_unit_is_invented() -> None:
    pojk = "Penyelenggara wajib mengajukan pendaftaran paling lambat 6 (enam) bulan setelahnya."
    question = Query(
        "提供者必须在多少个工作日内处理投诉？", "zh", asks_for="count", asks_quantity=True
    )
    verdict = check("提供者必须在6个工作日内处理投诉 [1]。", evidence(pojk), question)
    assert verdict.outcome == "unsupported" and verdict.invented
    assert "6个工作日" in verdict.dropped[0]
    assert check("提供者必须在6个月内提交 [1]。", evidence(pojk), question).outcome == "answered"
    # a length in Chinese numerals, and words of a day's life, are no length to check
    yearly = "The operator reports within a year of the change, in its day-to-day work."
    assert check("提供者在一年内报告 [1]。", evidence(yearly), question).outcome == "answered"
    by_day = Query("Berapa lama?", "id", asks_quantity=True)
    said = "Kegiatan sehari-hari dilaporkan dalam 20 (dua puluh) hari kerja."
    answer = "Kegiatan sehari-hari dilaporkan dalam 20 hari kerja [1]."
    assert check(answer, evidence(said), by_day).outcome == "answered"


def test_a_figure_of_a_passage_not_about_what_was_asked_is_invented() -> None:
    strategy = "Through Korika, the government released the National AI Strategy in 2020."
    visa = "The government granted a Golden Visa to Sam Altman, the founder of OpenAI."
    question = Query(
        "山姆·奥尔特曼是在哪一年获得印尼黄金签证的？",
        "zh",
        english="In which year did Sam Altman receive Indonesia's Golden Visa?",
        asks_for="year",
        asks_quantity=True,
    )
    verdict = check("山姆·奥尔特曼在2020年获得黄金签证 [1]。", evidence(strategy, visa), question)
    assert verdict.outcome == "unsupported" and verdict.invented
    assert "Sam Altman" in verdict.dropped[0]
    granted = "Sam Altman was granted a Golden Visa in 2023."
    answer = "山姆·奥尔特曼在2023年获得黄金签证 [2]。"
    assert check(answer, evidence(strategy, granted), question).outcome == "answered"


def test_a_made_up_page_number_is_no_made_up_figure() -> None:
    board = "The board consists of nine members appointed by the minister."
    question = Query("How many members does the board have?", "en", asks_for="count")
    where = check("The board has nine members, on page 7, paragraph 12 [1].", evidence(board))
    assert where.outcome == "unsupported" and not where.invented
    made_up = check("The board has 12 members (page 7) [1].", evidence(board), question)
    assert made_up.invented and "12 members" in made_up.made_up[0]
    assert "page 7" not in made_up.made_up[0]


def test_a_made_up_section_number_is_no_made_up_figure() -> None:
    """ "根据第15.9415(a)(1)条" mangles the US Code's section: the sentence is dropped, but the
    count it gives is the passage's, so the passage is quoted rather than abstained on."""
    task_force = "The Task Force shall be composed of 12 members."
    question = Query("工作组由多少名成员组成？", "zh", asks_for="count")
    answer = "根据第15.9415(a)(1)条，工作组由12名成员组成 [1]。"
    verdict = check(answer, evidence(task_force), question)
    assert verdict.outcome == "unsupported" and not verdict.invented
    made_up = check(
        "根据第15.9415(a)(1)条，工作组由15名成员组成 [1]。", evidence(task_force), question
    )
    assert made_up.invented


def test_the_passages_digits_at_another_scale_are_a_slip_not_an_invention() -> None:
    """ "600亿美元" (60 billion) for "US$600 billion": the value is wrong and the sentence is
    dropped, but the model read the passage's figure, so the passages are still quoted rather
    than abstained on (Verdict.invented); a figure the passages never write is invented."""
    passage = "AI is expected to generate an annual economic value of US$600 billion for China."
    question = Query("人工智能每年预计为中国带来多少经济价值？", "zh", asks_for="money")
    slip = check("人工智能每年预计为中国带来600亿美元的经济价值 [1]。", evidence(passage), question)
    assert slip.outcome == "unsupported" and not slip.invented
    made_up = check(
        "人工智能每年预计为中国带来700亿美元的经济价值 [1]。", evidence(passage), question
    )
    assert made_up.outcome == "unsupported" and made_up.invented


def test_a_year_the_question_says_is_not_made_up_by_the_answer() -> None:
    """The memorandum's passage gives its 180 days and not its own year; an answer repeating
    the question's "2024年" fails verification, but the model made up nothing: the passage is
    still quoted (Verdict.invented); a year neither the question nor a passage says is made up."""
    passage = "Within 180 days of the date of this memorandum, the Council shall prepare it."
    question = Query("根据2024年的备忘录，须在多少天内完成分析？", "zh", asks_for="count")
    echoed = check("根据2024年的备忘录，须在180天内完成分析 [1]。", evidence(passage), question)
    assert echoed.outcome == "unsupported" and not echoed.invented
    made_up = check("根据2023年的备忘录，须在180天内完成分析 [1]。", evidence(passage), question)
    assert made_up.outcome == "unsupported" and made_up.invented
    # The year of the figure asked, or any other number of the question, is checked as before.
    sums = "There are authorized to be appropriated $10,000,000 for fiscal year 2021."
    for_year = Query("How much is authorized for fiscal year 2022?", "en", asks_for="money")
    echoed = check("For fiscal year 2022, $10,000,000 is authorized [1].", evidence(sums), for_year)
    assert echoed.outcome == "unsupported" and echoed.invented
    fine = Query("What fine does Article 5 set?", "en", asks_for="money")
    rule = "The article sets a fine for late reports."
    assert check("Article 5 sets a fine of Rp 5 million [1].", evidence(rule), fine).invented
