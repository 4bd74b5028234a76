"""Step 4, generate or extract: the prompt, the streamed answer with the sentinel held back, the
question's translation, and the extractive answer made of the passages' own sentences."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from chatbot.pipeline.evidence import Evidence, Sentence
from chatbot.pipeline.generate import (
    answer_messages,
    extract,
    generate,
    quote_answers,
    repeats_itself,
    supporting_quote,
    translate,
)
from chatbot.pipeline.prompts import (
    JUDGE_SYSTEM_PROMPT,
    SENTINEL,
    SYSTEM_PROMPT,
    TRANSLATE_SYSTEM_PROMPT,
)
from chatbot.pipeline.understand import Query
from chatbot.types import Passage
from core.settings import AnswerSettings


@dataclass
class Message:
    content: str


class FakeChat:
    """Streams the given pieces as they are, or answers ``invoke`` with one reply (or error)."""

    def __init__(self, pieces: list[str] | None = None, reply: str | Exception = "") -> None:
        self.pieces = pieces or []
        self.reply = reply
        self.calls: list[tuple[list[Any], dict[str, Any]]] = []

    def stream(self, messages: list[Any], **kw: Any) -> Iterator[Message]:
        self.calls.append((messages, kw))
        for piece in self.pieces:
            if isinstance(piece, Exception):
                raise piece
            yield Message(piece)

    def invoke(self, messages: list[Any], **kw: Any) -> Message:
        self.calls.append((messages, kw))
        if isinstance(self.reply, Exception):
            raise self.reply
        return Message(self.reply)


def passage(n: int, title: str = "Alpha Report") -> Passage:
    return Passage(f"c{n}", "alpha", title, "original", f"¶{n}", f"text {n}", 0.5, f"c{n}")


EVIDENCE = Evidence(passages={1: passage(1)}, blocks={1: "The alpha project started in 2019."})
QUERY = Query("When did the alpha project start?", "en")


def streamed(pieces: list[str]) -> list[str]:
    return list(generate(FakeChat(pieces), QUERY, EVIDENCE, max_tokens=50))


# --- the prompt -------------------------------------------------------------------------------


def test_the_prompt_holds_the_passages_the_question_and_its_language() -> None:
    (system, human) = answer_messages(Query("Kapan proyek alpha dimulai?", "id"), EVIDENCE)
    assert system == ("system", SYSTEM_PROMPT)
    assert human[0] == "human"
    assert "From: Alpha Report\n[1] (¶1) The alpha project started in 2019." in human[1]
    assert "Question: Kapan proyek alpha dimulai?" in human[1]
    assert human[1].endswith("Answer in Indonesian (Bahasa Indonesia), citing passages like [1].")
    assert "Earlier question" not in human[1]


def test_a_follow_up_prompt_shows_the_question_it_follows() -> None:
    query = Query("Who funds it?", "en", previous="When did the alpha project start?")
    prompt = answer_messages(query, EVIDENCE)[1][1]
    earlier = "Earlier question, for context: When did the alpha project start?\n"
    assert f"{earlier}Question: Who funds it?" in prompt


# --- streaming and the sentinel ---------------------------------------------------------------


@pytest.mark.parametrize(
    "pieces",
    [
        ["The alpha", " project", " started in", " 2019 [1]."],
        ["NOT", "E: the alpha project", " started in 2019 [1]."],  # starts like the sentinel
        ["N", "O", "T", " all projects started in 2019 [1]."],
        [" ", "\n", "It", " did."],
    ],
)
def test_an_answer_streams_unchanged(pieces: list[str]) -> None:
    out = streamed(pieces)
    assert "".join(out) == "".join(pieces)
    assert all(out)  # no empty pieces


def test_the_model_gets_the_answer_messages_and_the_token_limit() -> None:
    chat = FakeChat(["It started in 2019 [1]."])
    list(generate(chat, QUERY, EVIDENCE, max_tokens=77))
    ((messages, kw),) = chat.calls
    assert messages == answer_messages(QUERY, EVIDENCE) and kw == {"max_tokens": 77}


def test_text_that_may_start_the_sentinel_is_held_back() -> None:
    chat = FakeChat(["The alpha project", " NOT", "_IN", "_DOC", "UMENTS"])
    stream = generate(chat, QUERY, EVIDENCE, max_tokens=50)
    assert next(stream) == "The alpha project"
    assert next(stream) == " NOT_IN_DOCUMENTS"  # nothing of it came out before it was whole


@pytest.mark.parametrize(
    "pieces",
    [
        ["NOT", "_IN", "_DOC", "UMENTS"],
        [" ", "NOT_", "IN_DOCUMENTS", "."],
        ["\n", "N", "O", "T", "_", "I", "N", "_", "D", "O", "C", "U", "M", "E", "N", "T", "S"],
        ["I cannot say.", " NOT_IN", "_DOCUMENTS"],
    ],
)
def test_the_sentinel_comes_out_whole_in_one_piece(pieces: list[str]) -> None:
    out = streamed(pieces)
    assert "".join(out) == "".join(pieces)
    assert sum(SENTINEL in piece for piece in out) == 1
    assert not any(
        SENTINEL.startswith(p.strip()) and p.strip() != SENTINEL for p in out if p.strip()
    )


def test_the_sentinel_in_another_case_is_held_back_too() -> None:
    out = streamed(["Indonesia has start-ups [1].", " Not", "_IN_", "Documents", " [1]"])
    assert "".join(out) == "Indonesia has start-ups [1]. Not_IN_Documents [1]"
    assert " Not_IN_Documents" in out  # whole, in one piece: the caller never shows it


def test_a_sentinel_starting_inside_a_piece_is_not_split() -> None:
    out = streamed(["Sorry, NOT_", "IN_DOCU", "MENTS"])
    assert "".join(out) == "Sorry, NOT_IN_DOCUMENTS"
    assert sum(SENTINEL in piece for piece in out) == 1  # actual: 'Sorry, NOT_', 'IN_DOCU', ...


def test_a_model_error_reaches_the_caller_after_what_was_streamed() -> None:
    chat = FakeChat(["The alpha", ConnectionError("gone")])  # type: ignore[list-item]
    stream = generate(chat, QUERY, EVIDENCE, max_tokens=50)
    assert next(stream) == "The alpha"
    with pytest.raises(ConnectionError):
        next(stream)


# --- translation ------------------------------------------------------------------------------


def test_translate_returns_the_first_line_unquoted() -> None:
    chat = FakeChat(reply='  "When did the alpha project start?"\nIt means: kapan ...')
    assert (
        translate(chat, "Kapan proyek alpha dimulai?", 200) == "When did the alpha project start?"
    )
    ((messages, kw),) = chat.calls
    # its own system prompt: under the answer's, the model answers the question instead
    assert messages[0] == ("system", TRANSLATE_SYSTEM_PROMPT)
    assert "Question: Kapan proyek alpha dimulai?" in messages[1][1]
    assert kw == {"max_tokens": 80}


@pytest.mark.parametrize(
    "reply",
    [
        "Here is the question in English:\nWhen did the alpha project start?",
        "When did the alpha project start? [1]",
    ],
)
def test_translate_skips_a_lead_in_line_and_markers(reply: str) -> None:
    chat = FakeChat(reply=reply)
    assert translate(chat, "Kapan proyek alpha dimulai?", 200) == (
        "When did the alpha project start?"
    )


def test_a_translation_stating_a_figure_the_question_does_not_is_an_answer() -> None:
    """The model answered ("... started in 2019"): not a wording to search with."""
    answered = FakeChat(reply="The alpha project started in 2019.")
    assert translate(answered, "Kapan proyek alpha dimulai?", 200) is None
    kept = FakeChat(reply="What did the alpha project do in 2019?")
    assert translate(kept, "Apa yang dilakukan proyek alpha pada 2019?", 200) is not None
    full_width = FakeChat(reply="What happened in 2021?")
    assert translate(full_width, "２０２１年に何がありましたか？", 200) == "What happened in 2021?"
    kanji = FakeChat(reply="What must be done within 30 days?")  # a question still
    assert translate(kanji, "三十日以内に何をしなければなりませんか？", 200) is not None


@pytest.mark.parametrize(
    "reply",
    [
        TimeoutError("stalled"),
        SENTINEL,
        f"Translation: {SENTINEL}",
        "x" * 201,  # longer than allowed: the model went on about something else
        '""',
    ],
)
def test_translate_gives_none_when_it_fails(reply: str | Exception) -> None:
    assert translate(FakeChat(reply=reply), "Kapan proyek alpha dimulai?", 200) is None


@pytest.mark.parametrize("reply", ["", "  \n "])
def test_translate_gives_none_for_an_empty_reply(reply: str) -> None:
    assert translate(FakeChat(reply=reply), "Kapan proyek alpha dimulai?", 200) is None


# --- judging a quote --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("reply", "verdict"),
    [
        ("yes", True),
        ("Yes.", True),
        (" YES, it states 2019.", True),
        ("no", False),
        ("No.", False),
        ("No, the text only names the project.", False),
        ("**No**", False),
        ('"Yes."', True),
        ("", None),
        ("The text says the project started in 2019.", None),  # an answer, not a judgement
        ("nope", None),
        (TimeoutError("stalled"), None),
    ],
)
def test_quote_answers_reads_a_yes_or_a_no(reply: str | Exception, verdict: bool | None) -> None:
    chat = FakeChat(reply=reply)
    assert quote_answers(chat, QUERY, "It started in 2019 [1].", 900) is verdict


def test_the_judge_reads_the_question_and_the_quote_without_markers_cut_to_length() -> None:
    chat = FakeChat(reply="yes")
    quote = "The alpha project started in 2019 [1]. It builds solar farms [2]. " + "x" * 500
    quote_answers(chat, QUERY, quote, 100)
    [(messages, options)] = chat.calls
    assert messages[0] == ("system", JUDGE_SYSTEM_PROMPT)
    prompt = messages[1][1]
    assert "When did the alpha project start?" in prompt
    assert "started in 2019. It builds solar farms." in prompt
    text = next(line for line in prompt.splitlines() if line.startswith("Text: "))
    assert "[1]" not in text and len(text.removeprefix("Text: ")) == 100
    assert options["max_tokens"] <= 5  # one word is read


def test_the_judge_reads_a_translation_and_a_follow_ups_earlier_question_on_its_own_line() -> None:
    chat = FakeChat(reply="no")
    query = Query(
        "Dan kapan berakhir?",
        "id",
        previous="When did the alpha project start?",
        english="And when did it end?",
    )
    assert quote_answers(chat, query, "It ended in 2024 [1].", 900) is False
    prompt = chat.calls[0][0][1][1]
    assert "Question: And when did it end?\n" in prompt
    assert "Earlier question, for context: When did the alpha project start?\n" in prompt
    assert "Dan kapan" not in prompt


def test_the_judge_reads_the_question_as_asked_beside_a_quote_in_its_language() -> None:
    chat = FakeChat(reply="yes")
    query = Query(
        "Berapa batas maksimum total pinjaman kepada satu penerima?",
        "id",
        english="What is the maximum total loan to one borrower?",
    )
    quote = (
        "Batas maksimum total pemberian pinjaman dana ditetapkan sebesar Rp2.000.000.000,00 "
        "(dua miliar rupiah) [1]."
    )
    assert quote_answers(chat, query, quote, 900, "id") is True
    prompt = chat.calls[0][0][1][1]
    assert "Question: Berapa batas maksimum total pinjaman kepada satu penerima?\n" in prompt
    assert "What is the maximum" not in prompt
    chat = FakeChat(reply="yes")  # a quote of passages in several languages: the English
    quote_answers(chat, query, quote, 900, None)
    assert "Question: What is the maximum total loan to one borrower?\n" in chat.calls[0][0][1][1]


def test_the_judge_reads_the_users_english_not_the_models_documents_language_wording() -> None:
    chat = FakeChat(reply="no")
    query = Query(
        "What is the maximum total loan to one borrower?",
        "en",
        in_documents_language="Berapa batas kap pinjaman kepada satu penerima?",
        documents_lang="id",
    )
    quote = "Batas maksimum total pemberian pinjaman dana ditetapkan oleh OJK secara berkala [1]."
    quote_answers(chat, query, quote, 900, "id")
    prompt = chat.calls[0][0][1][1]
    assert "Question: What is the maximum total loan" in prompt and "Berapa" not in prompt


# --- the extractive answer --------------------------------------------------------------------


def evidence_of(*sentences: Sentence) -> Evidence:
    numbers = {s.number for s in sentences}
    return Evidence(
        passages={n: passage(n) for n in numbers},
        sentences=sorted(sentences, key=lambda s: -s.score),
    )


SETTINGS = AnswerSettings(second_passage_ratio=0.85, extractive_chars=800)  # the defaults


def test_extract_gives_the_best_sentence_with_its_marker() -> None:
    evidence = evidence_of(
        Sentence(1, 0, "The alpha project builds solar farms.", 0.6),
        Sentence(1, 1, "It started in 2019.", 0.9),
        Sentence(2, 0, "Beta trains nurses", 0.3),
    )
    assert extract(evidence, SETTINGS) == "It started in 2019 [1]."
    only = evidence_of(Sentence(2, 0, "Beta trains nurses in rural clinics", 0.9))
    assert extract(only, SETTINGS) == "Beta trains nurses in rural clinics [2]."
    assert extract(Evidence(), SETTINGS) == ""


def test_extract_adds_the_sentence_answering_each_part_of_a_question_asking_several() -> None:
    """ "When did they survey their members, and how many programs responded?": the best
    sentence answers the first part; the one answering the second is quoted beside it."""
    when = Sentence(1, 0, "In July 2021 the community surveyed its members.", 0.9)
    how_many = Sentence(
        1, 3, "We collected responses from 65 federal programs across the agencies.", 0.5
    )
    evidence = evidence_of(when, how_many, Sentence(1, 2, "Maturity was assessed.", 0.6))
    assert extract(evidence, SETTINGS) == f"{when.text[:-1]} [1]."
    evidence.answers_parts = [when, how_many]
    assert extract(evidence, SETTINGS) == f"{when.text[:-1]} [1]. {how_many.text[:-1]} [1]."
    # Never past the length bound.
    short = AnswerSettings(extractive_chars=100)  # one of the two fits
    assert extract(evidence, short) == f"{when.text[:-1]} [1]."
    # Each part's sentence counts against the bound; a question in a passage is no answer.
    third = Sentence(2, 0, "The pilot program runs for five years in all twelve regions.", 0.2)
    evidence = evidence_of(when, how_many, third)
    evidence.answers_parts = [when, how_many, third]
    assert extract(evidence, AnswerSettings(extractive_chars=130)).count("[") == 2
    assert extract(evidence, SETTINGS).count("[") == 3
    asking = Sentence(1, 2, "How many programs responded to the survey?", 0.7)
    evidence = evidence_of(when, asking)
    evidence.answers_parts = [when, asking]
    assert extract(evidence, SETTINGS) == f"{when.text[:-1]} [1]."


def test_the_quote_starts_with_the_sentence_an_answers_marker_rests_on() -> None:
    """A short answer ("27,000,000 [3]") is checked by its passage's own sentence first; the
    extractive choice (other departments' lists here) follows."""
    evidence = evidence_of(
        Sentence(1, 0, "(1) $200,000,000 for fiscal year 2021;", 0.9),
        Sentence(2, 0, "(1) $868,000,000 for fiscal year 2021;", 0.88),
        Sentence(3, 0, "The Veterans health initiative has a report due in 2022.", 0.7),
        Sentence(3, 1, "Veterans Affairs gets $27,000,000 for fiscal year 2021.", 0.6),
    )
    quote = supporting_quote("27,000,000 [3]", evidence, SETTINGS)
    assert quote.startswith("Veterans Affairs gets $27,000,000 for fiscal year 2021 [3].")
    assert "$200,000,000" in quote  # the extractive choice still follows
    said = "Veterans Affairs gets $27,000,000 for fiscal year 2021 [3]."
    assert "$27,000,000" not in supporting_quote(said, evidence, SETTINGS)  # said already


def test_the_quote_goes_on_from_the_passage_the_answer_cites() -> None:
    """ "OJK has 20 days [2]" answers half: the next paragraph of the passage it cites says what
    happens then, and comes before another passage's best; the best of all is still quoted."""
    evidence = evidence_of(
        Sentence(
            1, 0, "(1) Operators that are registered must apply for a licence within one year.", 0.9
        ),
        Sentence(2, 2, "(3) OJK approves or rejects an application within 20 working days.", 0.8),
        Sentence(
            2, 3, "(4) The licence is granted automatically when that period has passed.", 0.3
        ),
        Sentence(
            3, 0, "(2) An operator may withdraw its application at any time before approval.", 0.7
        ),
    )
    quote = supporting_quote("OJK has 20 days to decide [2].", evidence, SETTINGS)
    assert "granted automatically" in quote and "registered must apply" in quote
    assert quote.index("20 working days") < quote.index("granted automatically")


def test_a_sentence_sharing_the_answers_words_but_naming_more_is_quoted() -> None:
    """The model's "... would be aimed at a broader market [1]" shares most words with "The
    third opportunity is ... for the Southeast Asian market.", which names what was asked: it
    is quoted; a sentence whose every name and number the answer says is not."""
    third = Sentence(
        1,
        0,
        "The third opportunity is collaboration in developing AI products for the "
        "Southeast Asian market.",
        0.9,
    )
    evidence = evidence_of(third)
    answer = "The third collaboration, developing AI products, is aimed at a broader market [1]."
    assert "Southeast Asian market" in supporting_quote(answer, evidence, SETTINGS)
    full = "The third collaboration develops AI products for the Southeast Asian market [1]."
    assert supporting_quote(full, evidence, SETTINGS) == ""


@pytest.mark.parametrize(
    ("sentence", "answer"),
    [
        # a clause's mark is no number the answer lacks
        (
            "(2) OJK approves it within 20 working days of receipt.",
            "OJK approves it within 20 working days of receipt [1].",
        ),
        ("It has a budget of 10,000,000 dollars.", "It has a budget of 10 million dollars [1]."),
        # names joined by "and" are each said
        (
            "The United States and Indonesia signed it in Jakarta.",
            "Indonesia and the United States signed it in Jakarta [1].",
        ),
    ],
)
def test_a_sentence_whose_names_and_figures_the_answer_says_is_not_quoted(
    sentence: str, answer: str
) -> None:
    evidence = evidence_of(Sentence(1, 0, sentence, 0.9))
    assert supporting_quote(answer, evidence, SETTINGS) == ""


LEAD_IN = [
    Sentence(1, 0, "The report is long.", 0.2),
    Sentence(1, 2, "Trade.", 0.1),
    Sentence(1, 3, "Research.", 0.1),
    Sentence(2, 0, "Beta trains nurses.", 0.3),
]


@pytest.mark.parametrize("colon", [":", "："])
def test_extract_takes_the_list_after_a_lead_in(colon: str) -> None:
    lead = Sentence(1, 1, f"The plan names three priorities{colon}", 0.9)
    text = extract(evidence_of(lead, *LEAD_IN), SETTINGS)
    assert text.startswith("The plan names three priorities")
    assert text.endswith(" Trade. Research [1].")  # the items after it, in order
    assert "report" not in text and "Beta" not in text  # not what comes before, nor elsewhere


def test_extract_takes_the_items_after_a_lead_in_that_runs_on_without_a_colon() -> None:
    """The US Code's "... composed of 12 members ..., of whom" is followed by "(i) 4 shall be
    ...": the items are what answers "how are they divided"."""
    lead = Sentence(
        1, 0, "The Task Force shall be composed of 12 members selected by its chairs, of whom", 0.9
    )
    items = [
        Sentence(1, 1, "(i) 4 shall be from agencies;", 0.1),
        Sentence(1, 2, "(ii) 4 shall be from universities; and", 0.1),
        Sentence(1, 3, "(iii) 4 shall be from companies.", 0.1),
    ]
    text = extract(evidence_of(lead, *items), SETTINGS)
    assert text.endswith("(iii) 4 shall be from companies [1].") and "(ii)" in text
    # An ending sentence leads into nothing.
    ended = Sentence(
        1, 0, "The Task Force shall be composed of 12 members selected by its chairs.", 0.9
    )
    assert extract(evidence_of(ended, *items), SETTINGS) == f"{ended.text[:-1]} [1]."


def test_a_run_on_lead_in_brings_its_items_and_not_the_sentence_after_them() -> None:
    """A short run-on lead-in without a figure is no topic line, and what follows its items
    ("There are authorized ...", another subject) is neither an item nor quoted after them."""
    lead = Sentence(1, 0, "The purposes of the Initiative shall be to", 0.9)
    items = [
        Sentence(1, 1, "(1) ensure continued United States leadership; and", 0.1),
        Sentence(1, 2, "(2) lead the world in trustworthy systems.", 0.1),
        Sentence(1, 3, "There are authorized to be appropriated such sums as necessary.", 0.5),
    ]
    text = extract(evidence_of(lead, *items), SETTINGS)
    assert text.startswith("The purposes of the Initiative shall be to (1) ensure")
    assert "trustworthy systems [1]." in text and "appropriated" not in text


def test_bullets_without_full_stops_stay_apart_and_lead_into_nothing() -> None:
    bullets = [
        Sentence(
            1, 0, "- Report harassment of staff to the agency's social team within 24 hours", 0.9
        ),
        Sentence(1, 1, "- Do not endorse commercial products or services", 0.1),
        Sentence(1, 2, "The Office of Special Counsel may discipline employees.", 0.1),
    ]
    text = extract(evidence_of(*bullets), SETTINGS)
    assert text == "- Report harassment of staff to the agency's social team within 24 hours [1]."


def test_a_second_passage_that_leads_into_a_list_brings_its_items() -> None:
    best = Sentence(1, 0, "The Task Force was set up by the Director.", 1.0)
    lead = Sentence(2, 0, "The Task Force shall be composed of 12 members, of whom", 0.95)
    item = Sentence(2, 1, "(i) 4 shall be from agencies.", 0.1)
    text = extract(evidence_of(best, lead, item), SETTINGS)
    assert text.endswith("of whom (i) 4 shall be from agencies [2].")


def test_a_list_and_its_lead_in_have_one_marker_after_them() -> None:
    lead = Sentence(1, 1, "The plan names three priorities:", 0.9)
    text = extract(evidence_of(lead, *LEAD_IN), SETTINGS)
    assert text == "The plan names three priorities: Trade. Research [1]."


def test_extract_adds_the_sentence_after_the_best_one_where_room_is_left() -> None:
    """A question is often worded like the sentence that leads to its answer: "Where does the
    data come from?" matches "Indonesia possesses a wealth of data ..." best, and the next
    sentence says where. Only the one after it, after another passage's best, within the
    bound."""
    best = Sentence(1, 1, "Indonesia possesses a wealth of data for AI development.", 0.9)
    following = Sentence(1, 2, "This data ranges from e-commerce to public services.", 0.1)
    evidence = evidence_of(
        Sentence(1, 0, "Indonesia has 270 million people.", 0.3),
        best,
        following,
        Sentence(1, 3, "Start-ups are growing.", 0.1),
    )
    assert extract(evidence, SETTINGS) == (
        "Indonesia possesses a wealth of data for AI development. "
        "This data ranges from e-commerce to public services [1]."
    )
    assert extract(evidence, AnswerSettings(extractive_chars=100)) == f"{best.text[:-1]} [1]."
    second = Sentence(2, 0, "China leads in facial recognition systems.", 0.89)
    # Room for the best and either the next sentence or the other passage's best: the latter.
    room = AnswerSettings(extractive_chars=len(best.text) + len(following.text) + 1)
    text = extract(evidence_of(best, second, following), room)
    assert "facial recognition systems [2]" in text and "e-commerce" not in text


@pytest.mark.parametrize(
    "after",
    [
        "2.1 Data Sources",  # the next part's heading, inside one chunk
        "It sets out five priorities:",  # a lead-in without its items
        "(ii) $240,000,000 for fiscal year 2024;",  # the next item: another year's sum
    ],
)
def test_the_sentence_after_the_best_is_no_heading_lead_in_or_next_item(after: str) -> None:
    for best in ("The agency publishes its data each year.", "(i) $228,980,000 for 2023;"):
        first = Sentence(1, 0, best, 0.9)
        evidence = evidence_of(first, Sentence(1, 1, after, 0.1), Sentence(1, 2, "Trade.", 0.1))
        text = extract(evidence, SETTINGS)
        assert text.startswith(best.rstrip(".;")) and after.rstrip(":;") not in text


@pytest.mark.parametrize(
    ("best", "after"),
    [
        (  # numbered paragraphs of a regulation: each states a whole rule
            "(3) OJK memberikan persetujuan paling lama 20 (dua puluh) hari kerja.",
            "(4) Permohonan perizinan otomatis berlaku apabila jangka waktu terlampaui.",
        ),
        (  # a slide's lines: none ends like a sentence, and none is a title
            "Environmental Protection Agency--Publicity or Propaganda | U.S. GAO B-326944",
            "U.S. Department of Transportation--Anti-Lobbying Provision | U.S. GAO B-329368",
        ),
        (  # a cover's lines: a bracket ends no sentence
            "Version 2.0 — Published by the Federal RPA Community of Practice (CoP)",
            "December 29, 2021",
        ),
    ],
)
def test_the_sentence_after_the_best_may_be_a_numbered_paragraph_or_a_slides_line(
    best: str, after: str
) -> None:
    evidence = evidence_of(Sentence(1, 0, best, 0.9), Sentence(1, 1, after, 0.1))
    assert after.rstrip(".") in extract(evidence, SETTINGS)


def test_the_next_line_of_a_line_that_ends_no_sentence_is_part_of_it() -> None:
    """A cover's "Published by ... (CoP)" goes on in "December 29, 2021": that line is quoted
    (and read for the answer's checks) even without ``follow``; a full sentence's next one is
    not."""
    cover = "Version 2.0 — Published by the Federal RPA Community of Practice (CoP)"
    lines = evidence_of(Sentence(1, 0, cover, 0.9), Sentence(1, 1, "December 29, 2021", 0.1))
    assert "December 29, 2021" in extract(lines, SETTINGS, follow=False)
    sentence = "The report was published by the Federal RPA Community of Practice."
    after = evidence_of(Sentence(1, 0, sentence, 0.9), Sentence(1, 1, "It has 40 members.", 0.1))
    assert "40 members" not in extract(after, SETTINGS, follow=False)


@pytest.mark.parametrize(
    ("best", "after"),
    [
        ("The plan was adopted in August 2020.[3]", "2.1 Data Sources"),  # a footnote's mark
        (
            "(i) $228,980,000 for the Department's programs for fiscal year 2023",
            "(ii) $240,000,000 for fiscal year 2024",  # another year's sum
        ),
        (
            "Environmental Protection Agency--Publicity or Propaganda | U.S. GAO B-326944",
            "2.1 Data Sources",  # a numbered title
        ),
    ],
)
def test_no_list_item_or_numbered_title_goes_on_a_line(best: str, after: str) -> None:
    evidence = evidence_of(Sentence(1, 0, best, 0.9), Sentence(1, 1, after, 0.1))
    assert after not in extract(evidence, SETTINGS, follow=False)


def test_the_sentence_after_the_best_is_not_quoted_twice() -> None:
    """Overlapping chunks repeat lines: the next sentence of [1] may be [2]'s best."""
    best = Sentence(1, 0, "The fund was set up by the ministry.", 0.9)
    repeated = "The fund supports 40 start-ups each year."
    evidence = evidence_of(best, Sentence(1, 1, repeated, 0.1), Sentence(2, 0, repeated, 0.88))
    assert extract(evidence, SETTINGS).count("40 start-ups") == 1
    assert extract(evidence, SETTINGS, follow=False) == extract(evidence, SETTINGS)
    alone = evidence_of(best, Sentence(1, 1, repeated, 0.1))
    assert extract(alone, SETTINGS, follow=False) == f"{best.text[:-1]} [1]."


def test_a_list_stops_at_the_extractive_limit() -> None:
    lead = "The plan names these priorities:"  # 32 characters
    evidence = evidence_of(
        Sentence(1, 0, lead, 0.9),
        Sentence(1, 1, "a" * 40 + ".", 0.1),
        Sentence(1, 2, "b" * 40 + ".", 0.1),
        Sentence(1, 3, "c.", 0.1),  # would fit, but a list is not taken out of order
    )
    settings = AnswerSettings(extractive_chars=32 + 41 + 40)
    text = extract(evidence, settings)
    assert "a" * 40 in text and "b" * 40 not in text and "c [1]" not in text


@pytest.mark.parametrize(("score", "added"), [(0.85, True), (0.84, False)])
def test_a_second_passage_is_added_only_when_nearly_as_strong(score: float, added: bool) -> None:
    evidence = evidence_of(
        Sentence(2, 0, "Delta started in 2021.", 1.0),
        Sentence(2, 2, "Delta is in the south.", 0.95),  # same passage: never the second
        Sentence(1, 4, "Alpha started in 2019.", score),
    )
    expected = "Alpha started in 2019 [1]. Delta started in 2021 [2]."  # in passage order
    assert extract(evidence, SETTINGS) == (expected if added else "Delta started in 2021 [2].")


def test_a_second_passage_is_not_added_beyond_the_extractive_limit() -> None:
    evidence = evidence_of(
        Sentence(1, 0, "a" * 60 + ".", 1.0),
        Sentence(2, 0, "b" * 60 + ".", 0.99),
    )
    fits = AnswerSettings(extractive_chars=122)
    assert extract(evidence, fits).count("[") == 2
    short = AnswerSettings(extractive_chars=121)
    assert extract(evidence, short) == f"{'a' * 60} [1]."


def test_extract_passes_over_a_question_in_a_passage() -> None:
    evidence = Evidence(
        sentences=[
            Sentence(1, 0, "But what if these two nations join forces?", 0.9),
            Sentence(1, 1, "The fourth opportunity is cybersecurity.", 0.8),
        ],
    )
    text = extract(evidence, AnswerSettings(second_passage_ratio=1.0))
    assert text == "The fourth opportunity is cybersecurity [1]."
    only_question = Evidence(sentences=[Sentence(1, 0, "Why does it matter?", 0.9)])
    assert extract(only_question, AnswerSettings()) == "Why does it matter [1]?"


def test_extract_passes_over_a_heading_in_capitals() -> None:
    heading = "EXPLANATION OF GOVERNMENT REGULATION NUMBER 46 OF 2009 ON NUCLEAR LIABILITY"
    evidence = Evidence(
        sentences=[
            Sentence(1, 0, heading, 0.9),
            Sentence(1, 1, "The limit is raised to four trillion rupiah.", 0.8),
        ],
    )
    text = extract(evidence, AnswerSettings(second_passage_ratio=1.0))
    assert text == "The limit is raised to four trillion rupiah [1]."
    only_heading = Evidence(sentences=[Sentence(1, 0, heading, 0.9)])
    assert extract(only_heading, AnswerSettings()) == f"{heading} [1]."


def test_extract_passes_over_a_short_line_that_names_a_topic() -> None:
    evidence = Evidence(
        sentences=[
            Sentence(1, 0, "Procurement", 0.9),
            Sentence(1, 1, "Agencies buy licences through one contract.", 0.8),
            Sentence(2, 0, "on 11 June 2009", 0.7),
        ],
    )
    text = extract(evidence, AnswerSettings(second_passage_ratio=1.0))
    assert text == "Agencies buy licences through one contract [1]."
    # A date line under a signature is a figure, so it is quoted, with the lines around it:
    # alone it answers nothing, and the name it belongs to is a line away.
    signed = [
        Sentence(3, 0, "Ditetapkan di Jakarta", 0.5),
        Sentence(3, 1, "on 11 June 2009", 0.95),
        Sentence(3, 2, "PRESIDENT OF THE REPUBLIC OF INDONESIA,", 0.4),
        Sentence(3, 3, "SUSILO BAMBANG YUDHOYONO", 0.3),
    ]
    dated = Evidence(sentences=[*signed, *evidence.sentences])
    assert extract(dated, AnswerSettings(second_passage_ratio=1.0)) == (
        "Ditetapkan di Jakarta; on 11 June 2009; "
        "PRESIDENT OF THE REPUBLIC OF INDONESIA, SUSILO BAMBANG YUDHOYONO [3]."
    )


# --- loops ------------------------------------------------------------------------------------


class CountingChat(FakeChat):
    """Counts the pieces the caller actually took from the stream."""

    def __init__(self, pieces: list[str]) -> None:
        super().__init__(pieces)
        self.taken = 0

    def stream(self, messages: list[Any], **kw: Any) -> Iterator[Message]:
        for message in super().stream(messages, **kw):
            self.taken += 1
            yield message


def test_generation_stops_when_the_model_says_a_sentence_twice() -> None:
    lead_in = "The project's phases, on page 4, involve three steps [1]. "
    loop = [lead_in, "It started in 2019 in the north [1]. "] + [lead_in] * 20
    chat = CountingChat(loop)
    out = "".join(generate(chat, QUERY, EVIDENCE, max_tokens=50))
    assert chat.taken < 6  # the loop was not read to its end
    assert out.count("It started in 2019") == 1


def test_an_answer_without_repeats_is_read_to_its_end() -> None:
    pieces = [
        "It started in 2019 in the north [1]. ",
        "It builds solar farms in the provinces [1]. ",
        "Both facts are stated by its report [1].",
    ]
    chat = CountingChat(pieces)
    assert "".join(generate(chat, QUERY, EVIDENCE, max_tokens=50)) == "".join(pieces)
    assert chat.taken == len(pieces)


ALPHA = "The alpha project started in 2019 in the north"
DELTA = "The delta project builds solar farms"


@pytest.mark.parametrize(
    ("text", "repeats"),
    [
        (f"{ALPHA} [1]. {DELTA} [2]. {ALPHA} [2]. ", True),  # markers aside
        (f"{ALPHA} [1]. {ALPHA}", False),  # the second is still being written
        (f"{ALPHA} [1]. {DELTA} [1].", False),
        (
            "阿尔法项目于二零一九年在北方开始[1]。德尔塔项目建设太阳能农场[1]。"
            "阿尔法项目于二零一九年在北方开始[1]。",
            True,
        ),
    ],
)
def test_repeats_itself(text: str, repeats: bool) -> None:
    lang = "zh" if "阿" in text else "en"
    assert repeats_itself(text, lang) is repeats


def test_a_frequency_penalty_is_sent_only_when_set() -> None:
    chat = FakeChat(["It started in 2019 [1]."])
    list(generate(chat, QUERY, EVIDENCE, max_tokens=77, frequency_penalty=0.4))
    list(generate(chat, QUERY, EVIDENCE, max_tokens=77))
    assert [kw for _, kw in chat.calls] == [
        {"max_tokens": 77, "frequency_penalty": 0.4},
        {"max_tokens": 77},
    ]
