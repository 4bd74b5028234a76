"""Step 4, generate or extract: the answer text, with ``[n]`` markers, from the evidence.

``generate`` streams the model's answer; it holds back whatever may be the start of the
cannot-answer sentinel, so users never see "NOT_IN_DOC" flash by. ``extract`` answers without a
model: the best sentence, the list a lead-in sentence introduces (or the lines around a short
line), another passage's best sentence when it scores nearly as well, each part's best for a
question asking several things, and the sentence after the best one where room is left.

A small model can loop (one sentence said again and again until the token limit): generation
stops at the first sentence said twice, which also spares the seconds the loop would take.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterator
from typing import Any

from chatbot.pipeline.citations import (
    MARKER,
    cited_numbers,
    split_answer_sentences,
    with_marker,
)
from chatbot.pipeline.evidence import Evidence, Sentence
from chatbot.pipeline.prompts import (
    ANSWER_TEMPLATE,
    EARLIER_TEMPLATE,
    JUDGE_SYSTEM_PROMPT,
    JUDGE_TEMPLATE,
    NATIVE_LANGUAGE_NAMES,
    SENTINEL,
    SENTINEL_ANY_CASE,
    SYSTEM_PROMPT,
    TRANSLATE_SYSTEM_PROMPT,
    TRANSLATE_TEMPLATE,
)
from chatbot.pipeline.understand import Query
from core.settings import AnswerSettings
from core.text import (
    LEAD_IN_ENDS,
    ends_running_text,
    heads_next_part,
    is_capitals_heading,
    is_heading_line,
    is_list_item,
    item_goes_on,
    language_name,
    leads_into_list,
    list_items_after,
    name_is_stated,
    names,
    normalize_spaces,
    number_is_stated,
    numbers,
    states_figure,
    text_width,
    tokens,
    without_references,
)

QUESTION_ENDS = ("?", "？")
# A numbered title's number ("2.1 Data Sources", "3. Results"; not a date's "29 December").
_SECTION_NUMBER = re.compile(r"\s*\d{1,3}(?:(?:\.\d{1,3})+\.?|\.)\s")
SENTENCE_ENDS = ".!?。！？"
# A translated question is one line; 80 tokens hold the longest allowed question in English
# (twice as many in another language: Indonesian words and Chinese characters take more).
TRANSLATION_TOKENS = 80
JUDGE_TOKENS = 3  # "yes" or "no", with room for a full stop
_DIGITS = re.compile(r"\d+")
# A quoted line (no full stop) shorter than this, in Latin-letter widths, is quoted with the
# lines around it, up to SHORT_QUOTE_CONTEXT: a date line or a name on a title slide says
# nothing alone.
SHORT_QUOTE = 60
SHORT_QUOTE_CONTEXT = 240


def answer_language(lang: str) -> str:
    """'Indonesian (Bahasa Indonesia)': the language named in English and in itself."""
    native = NATIVE_LANGUAGE_NAMES.get(lang)
    return f"{language_name(lang)} ({native})" if native else language_name(lang)


def answer_messages(query: Query, evidence: Evidence) -> list[tuple[str, str]]:
    """The chat messages: the fixed system prompt first (cached by llama.cpp), then the rest."""
    earlier = EARLIER_TEMPLATE.format(previous=query.previous) if query.previous else ""
    prompt = ANSWER_TEMPLATE.format(
        passages=evidence.prompt_context(),
        earlier=earlier,
        question=query.text,
        language=answer_language(query.lang),
    )
    return [("system", SYSTEM_PROMPT), ("human", prompt)]


def translate(chat_model: Any, question: str, max_chars: int, lang: str = "en") -> str | None:
    """The question in English (or the language ``lang`` names), by the model; None when it
    fails or answers instead (an answer states figures the question does not)."""
    prompt = TRANSLATE_TEMPLATE.format(question=question, language=language_name(lang))
    try:
        reply = chat_model.invoke(
            [("system", TRANSLATE_SYSTEM_PROMPT), ("human", prompt)],
            max_tokens=TRANSLATION_TOKENS if lang == "en" else 2 * TRANSLATION_TOKENS,
        )
    except Exception:  # retrieval still has the multilingual signal
        return None
    lines = [
        MARKER.sub("", line).strip().strip('"').strip()
        for line in str(getattr(reply, "content", "") or "").splitlines()
    ]
    # "Here is the question in Indonesian:" before it is a lead-in, not the translation
    wording = next((line for line in lines if line and not line.endswith(LEAD_IN_ENDS)), "")
    if not wording or SENTINEL in wording or len(wording) > max_chars:
        return None
    if _new_figures(wording, question) and not wording.endswith(QUESTION_ENDS):
        return None  # an answer ("It was signed in 2009."), not the question
    return wording


def quote_answers(
    chat_model: Any, query: Query, quote: str, max_chars: int, quote_lang: str | None = None
) -> bool | None:
    """Does the quote (at most ``max_chars`` of it) state the answer to the question (as asked
    when that was in the quote's language ``quote_lang``, else in English when it was
    translated; a follow-up with the question it follows on a line of its own), by
    the model's yes or no? None when the model fails or replies with something else: the
    caller then does as it would without asking."""
    text = " ".join(re.sub(rf"\s*{MARKER.pattern}", "", quote).split())[:max_chars]
    earlier = EARLIER_TEMPLATE.format(previous=query.previous) if query.previous else ""
    question = wording_in(query, quote_lang)
    prompt = JUDGE_TEMPLATE.format(earlier=earlier, question=question, text=text)
    try:
        reply = chat_model.invoke(
            [("system", JUDGE_SYSTEM_PROMPT), ("human", prompt)], max_tokens=JUDGE_TOKENS
        )
    except Exception:
        return None
    said = str(getattr(reply, "content", "") or "").strip().lower()
    word = re.match(r"\W*(yes|no)\b", said)  # "**No**", '"Yes."', not "nope" nor an answer
    return word.group(1) == "yes" if word else None


def wording_in(query: Query, lang: str | None) -> str:
    """The question as asked when it was asked in ``lang`` (an Indonesian question over an
    Indonesian regulation: the 1.5B model said no to its English wording beside the Indonesian
    sentence that answers it); else its English wording, or the question as asked. The model's
    own wording in the documents' language is not used: it reads worse than the user's English
    ("Berapa batas kap tanggung jawab nuclear baru ...?"), and the judge said yes to a
    signature block under it."""
    if lang == query.lang:
        return query.text
    return query.english or query.text


def _new_figures(text: str, original: str) -> bool:
    """Does the text hold digits the original does not (full-width digits read as digits)?"""
    theirs = set(_DIGITS.findall(unicodedata.normalize("NFKC", original)))
    return bool(set(_DIGITS.findall(unicodedata.normalize("NFKC", text))) - theirs)


def _sentinel_start(text: str) -> int:
    """Where a possible start of the sentinel (in any case: the model also writes
    "Not_IN_DOCUMENTS") begins at the end of ``text`` (len if none)."""
    for start in range(max(0, len(text) - len(SENTINEL) + 1), len(text)):
        if SENTINEL.startswith(text[start:].upper()):
            return start
    return len(text)


def repeats_itself(text: str, lang: str) -> bool:
    """Has the text said one of its finished sentences twice (markers and spacing aside)?"""
    sentences = split_answer_sentences(text, lang)
    ended = text.rstrip()[-1:] in SENTENCE_ENDS
    finished = sentences if ended else sentences[:-1]  # the last may still be growing
    said = [" ".join(MARKER.sub(" ", s).split()).lower() for s in finished]
    said = [s for s in said if s]
    return len(said) != len(set(said))


def generate(
    chat_model: Any,
    query: Query,
    evidence: Evidence,
    max_tokens: int,
    frequency_penalty: float = 0.0,
) -> Iterator[str]:
    """The model's answer in streamed pieces; the sentinel always comes out whole, in one piece
    (the caller never shows it), so users never see "NOT_IN_DOC" flash by. Stops when the model
    says a sentence a second time (the verifier drops the repeat)."""
    held, written = "", ""
    options: dict[str, Any] = {"max_tokens": max_tokens}
    if frequency_penalty:  # an OpenAI parameter: llama-server, Ollama and vLLM take it too
        options["frequency_penalty"] = frequency_penalty
    for chunk in chat_model.stream(answer_messages(query, evidence), **options):
        held += str(chunk.content)
        written += str(chunk.content)
        if repeats_itself(written, query.lang):
            break
        while found := SENTINEL_ANY_CASE.search(held):
            before, said, held = held[: found.start()], found.group(0), held[found.end() :]
            text = before.rstrip()
            if text:
                yield text
            yield before[len(text) :] + said  # with the space before it: never shown
        cut = _sentinel_start(held)
        cut = len(held[:cut].rstrip()) if cut < len(held) else cut
        if cut:
            yield held[:cut]
            held = held[cut:]
    if held:
        yield held


def _topic_line(sentence: Sentence, evidence: Evidence) -> bool:
    """A short line that names a topic ("Procurement") rather than says something: not a
    lead-in to a list ("The purposes of the Initiative shall be to" before "(1) ..."), and no
    figure in it ("pada tanggal 11 Juni 2009" answers a question)."""
    text = sentence.text
    return (
        is_heading_line(text) and not evidence.leads_into_list(sentence) and not states_figure(text)
    )


def extractive_sentences(
    evidence: Evidence,
    settings: AnswerSettings,
    prefer: Collection[int] = (),
    follow: bool = True,
) -> list[Sentence]:
    """The passages' own best sentences in reading order: the best one (of the ``prefer``
    passages when they have one: those a model's failed answer points at; the best of all is then
    quoted too), the items a lead-in introduces or the lines around a short line, another
    passage's best when it scores nearly as well, for a question asking several things the
    best sentence for each of its parts, and (``follow``) the sentence after the best one's
    (after its items or lines) where room is left: not the next part's heading, a lead-in
    without its items, an enumeration's next piece, nor a sentence already quoted. Without
    ``follow`` only a heading-like next line (no list item, no numbered title) of a best line
    that ends no sentence is added: it goes on that line."""
    # A question in a passage ("But what if these two nations join forces?") asks, and a
    # heading in capitals or a short line without a figure ("Procurement") names a topic;
    # none answers: each is chosen only when nothing else is there.
    statements = [
        s
        for s in evidence.sentences
        if not s.text.rstrip().endswith(QUESTION_ENDS)
        and not is_capitals_heading(s.text)
        and not _topic_line(s, evidence)
    ]
    ranked = statements or evidence.sentences
    if not ranked:
        return []
    best = next((s for s in ranked if s.number in prefer), ranked[0])
    room = settings.extractive_chars
    short = text_width(best.text) < SHORT_QUOTE and best.text.rstrip()[-1:].isalnum()
    if short and not evidence.leads_into_list(best):  # a short lead-in: its items instead
        chosen = _in_context(best, evidence, room)
    else:
        chosen = _with_items(best, evidence, room)
    used = sum(len(s.text) for s in chosen)
    # The sentence after the best one (or after its items) is added last, where room is left:
    # a question is often worded like the sentence that leads to its answer ("a wealth of data
    # that can be processed ...", then "This data, ranging from e-commerce ... to public
    # services, ...").
    following = next(
        (
            s
            for s in statements
            if s.number == best.number and s.position == chosen[-1].position + 1
        ),
        None,
    )
    # A line that ends no sentence (a cover's "Published by the ... Community of Practice
    # (CoP)") goes on in its block's next line ("December 29, 2021"): that line is part of the
    # best one, quoted (and read) even without ``follow``.
    # Not a list's next item (another year's sum) nor a numbered section's title ("2.1 Data").
    goes_on = (
        following is not None
        and not ends_running_text(chosen[-1].text)
        and is_heading_line(following.text)
        and not is_list_item(following.text)
        and not is_list_item(chosen[-1].text)
        and not _SECTION_NUMBER.match(following.text)
    )
    if following is not None and (
        (not follow and not goes_on)
        or evidence.leads_into_list(best)  # its items answer; what follows them is another matter
        or heads_next_part(following.text, chosen[-1].text)
        or evidence.leads_into_list(following)
        or item_goes_on(following.text)  # an enumeration's next piece: another year's sum
        or item_goes_on(chosen[-1].text)
    ):
        following = None
    second = next((s for s in ranked if s.number != best.number), None)
    # The best-scored sentence always stays when a cited passage's best took its place.
    if (
        second is not None
        and (second is ranked[0] or second.score >= settings.second_passage_ratio * best.score)
        and used + len(second.text) <= room
    ):
        more = _with_items(second, evidence, room - used)
        chosen += more
        used += sum(len(s.text) for s in more)
    # A question asking several things: the sentence answering each part, where it fits (a
    # statement, and a lead-in only with its first item).
    for part in evidence.answers_parts:
        if part in statements and part not in chosen and used + len(part.text) <= room:
            more = [s for s in _with_items(part, evidence, room - used) if s not in chosen]
            if len(more) > 1 or not evidence.leads_into_list(part):
                chosen += more
                used += sum(len(s.text) for s in more)
    quoted = {normalize_spaces(s.text) for s in chosen}  # overlapping chunks repeat lines
    if (
        following is not None
        and normalize_spaces(following.text) not in quoted
        and used + len(following.text) <= room
    ):
        chosen.append(following)
    chosen.sort(key=lambda s: (s.number, s.position))
    return chosen


def _with_items(lead: Sentence, evidence: Evidence, room: int) -> list[Sentence]:
    """The sentence and, when it leads into a list, the items after it in its passage, as many
    as ``room`` characters hold: a lead-in alone answers nothing."""
    if not evidence.leads_into_list(lead):
        return [lead]
    after = sorted(
        (s for s in evidence.sentences if s.number == lead.number and s.position > lead.position),
        key=lambda s: s.position,
    )
    taken = list_items_after(lead.text, [s.text for s in after], room - len(lead.text))
    return [lead, *after[:taken]]


def _in_context(best: Sentence, evidence: Evidence, room: int) -> list[Sentence]:
    """A short line ("August 26, 2021", "pada tanggal 11 Juni 2009") with the lines of its
    passage around it, the next first, until they say ``SHORT_QUOTE_CONTEXT`` characters' worth
    or fill ``room``: on a title slide or under a signature the name it belongs to is a line
    away, and the line alone answers nothing."""
    own = sorted(
        (s for s in evidence.sentences if s.number == best.number), key=lambda s: s.position
    )
    at = own.index(best)
    start, end = at, at + 1
    used = len(best.text)
    while text_width(" ".join(s.text for s in own[start:end])) < SHORT_QUOTE_CONTEXT:
        for nxt in (end, start - 1):
            if 0 <= nxt < len(own) and not start <= nxt < end and used + len(own[nxt].text) <= room:
                used += len(own[nxt].text)
                start, end = min(start, nxt), max(end, nxt + 1)
                break
        else:
            break
    return own[start:end]


def _marked(sentences: list[Sentence]) -> str:
    """The sentences with their passages' markers, one marker after each run of lines that
    follow each other in one passage ("Office of Special Counsel; Jacqueline Yarbro [1].", not
    "[1]" after every line of a title slide); a line without a full stop ends with "; "."""
    out: list[str] = []
    for i, s in enumerate(sentences):
        after = sentences[i + 1] if i + 1 < len(sentences) else None
        if after is not None and after.number == s.number and after.position == s.position + 1:
            text = s.text.rstrip()
            ends = text[-1:] in SENTENCE_ENDS + ";:,；：，、" or leads_into_list(text, after.text)
            out.append(text if ends else f"{text};")
        else:
            out.append(with_marker(s.text, s.number, "."))
    return " ".join(out)


def extract(
    evidence: Evidence,
    settings: AnswerSettings,
    prefer: Collection[int] = (),
    follow: bool = True,
) -> str:
    """The passages' own best sentences, each with its marker, in reading order."""
    return _marked(extractive_sentences(evidence, settings, prefer, follow))


def supporting_quote(
    answer: str, evidence: Evidence, settings: AnswerSettings, lang: str = "en"
) -> str:
    """The sentences the answer's markers rest on, then those the extractive path would answer
    with (starting from the passages the answer cites: their best sentence with the one after
    it, beside the best of all), that the model's answer does not already say in their words
    (``quote_overlap`` of their content words, and every name and number they state), with
    markers; "" when it says them all. A 1.5B
    model reads the wrong sentence of the right passage, or the right one wrongly, more often
    than the extractive choice misses (measured on every development set), so its short answer
    comes with the passages' own words to check it by; it often answers half of what was asked
    from a passage whose next sentence holds the rest ("OJK has 20 days [1]" over "(3) ... 20
    hari kerja ...", then "(4) Permohonan perizinan otomatis berlaku ...")."""
    plain = MARKER.sub(" ", answer)
    said = set(tokens(plain))
    fresh: list[Sentence] = []
    quoted = extractive_sentences(evidence, settings, prefer=cited_numbers(answer))
    for s in backing_sentences(answer, evidence, lang) + quoted:
        own = set(tokens(s.text))
        copied = bool(own) and len(own & said) / len(own) >= settings.quote_overlap
        if s not in fresh and not (copied and not _says_more(s.text, plain)):
            fresh.append(s)
    return _marked(fresh)


def _says_more(sentence: str, answer: str) -> bool:
    """Does the sentence state a figure or a name the answer does not (by value: "10 million"
    states "10,000,000"; a clause's mark or a section reference is none)? "The third
    opportunity is collaboration in developing AI products for the Southeast Asian market."
    shares most of its words with "The third partnership, joint AI product development, would
    be aimed at a broader market [1]", and holds what was asked."""
    plain = without_references(sentence)
    said = numbers(answer)
    if any(not number_is_stated(n, said) for n in numbers(plain)):
        return True
    stems = set(tokens(answer))
    return any(not name_is_stated(name, answer, stems) for name in names(plain))


def backing_sentences(answer: str, evidence: Evidence, lang: str = "en") -> list[Sentence]:
    """For each marker of the answer, the sentence of that passage sharing the most words
    (numbers included) with the answer sentence it marks: what the reader checks a short
    answer ("27,000,000 [1]") by, ahead of the extractive choice from other passages."""
    out: list[Sentence] = []
    for sentence in split_answer_sentences(answer, lang):
        said = set(tokens(MARKER.sub(" ", sentence)))
        for n in cited_numbers(sentence):
            pool = [e for e in evidence.sentences if e.number == n]
            best = max(pool, key=lambda e: len(said & set(tokens(e.text))), default=None)
            if best is not None and said & set(tokens(best.text)) and best not in out:
                out.append(best)
    return out
