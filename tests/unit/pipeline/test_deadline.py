"""An answer giving a date that its passages count a length of time from, as if the date were
the deadline, is dropped by verification (chatbot/pipeline/deadline.py), whatever the document."""

from __future__ import annotations

import pytest

from chatbot.pipeline.coverage import IdfTable
from chatbot.pipeline.deadline import counted_from
from chatbot.pipeline.understand import Query
from chatbot.pipeline.verify import verify
from core.settings import AnswerSettings
from tests.unit.pipeline.one_passage import one_passage

REPORTS = (
    "Not later than 1 year after January 1, 2021 , and not less frequently than once every 3 "
    "years thereafter, the Advisory Committee shall submit to the President a report on its "
    "findings and recommendations."
)
IZIN = (
    "Penyelenggara wajib mengajukan permohonan izin paling lama 6 (enam) bulan kerja terhitung "
    "sejak tanggal 1 Januari 2010."
)


def test_a_date_given_without_the_length_counted_from_it_is_found() -> None:
    answer = "By January 1, 2021, the Advisory Committee shall submit a report [1]."
    assert counted_from(answer, [REPORTS]) == "1 year after January 1, 2021"
    assert counted_from("Paling lambat 1 Januari 2010 [1].", [IZIN]) == (
        "6 (enam) bulan kerja terhitung sejak tanggal 1 Januari 2010"
    )
    # the date in another form, and "21 January 2021" is not "1 January 2021"
    assert counted_from("By 1 January 2021 [1].", [REPORTS, "on 21 January 2021"])


@pytest.mark.parametrize(
    ("answer", "passages"),
    [
        ("Within 1 year after January 1, 2021 [1].", [REPORTS]),  # the length is said
        ("One year after January 1, 2021, it reports [1].", [REPORTS]),  # in words
        ("Paling lambat 6 bulan sejak 1 Januari 2010 [1].", [IZIN]),
        ("Within ninety days after January 1, 2021 [1].", [REPORTS]),  # beyond the numbers read
        ("Dalam tiga puluh hari sejak 1 Januari 2010 [1].", [IZIN]),
        ("Within 18 months after January 1, 2021 [1].", [REPORTS]),
        # the date also stands on its own in a passage (in any form): it may restate that one
        ("It was enacted on January 1, 2021 [1].", [REPORTS, "Enacted January 1, 2021."]),
        ("It took effect on January 1, 2021 [1].", [REPORTS, "It takes effect 1 January 2021."]),
        # a period that starts on the day, not a deadline counted from it
        (
            "The licence is valid from 1 January 2020 [1].",
            ["valid for 3 years from 1 January 2020"],
        ),
        (
            "Izin berlaku mulai 1 Januari 2020 [1].",
            ["Izin berlaku selama 5 (lima) tahun terhitung sejak tanggal 1 Januari 2020."],
        ),
        ("By March 3, 2022 [1].", [REPORTS]),  # not the passages' date: not judged here
        ("By January 1, 2021 [1].", ["The office opened on January 1, 2021."]),
        ("在2021年1月1日之前 [1]。", [REPORTS]),  # written in another form: not found
    ],
)
def test_dates_the_passages_do_not_count_from_are_left_alone(
    answer: str, passages: list[str]
) -> None:
    assert counted_from(answer, passages) is None


def test_verification_drops_the_sentence_and_quotes_the_passage() -> None:
    verdict = verify(
        "By January 1, 2021, the Advisory Committee shall submit a report on its findings [1].",
        Query("By when must the Advisory Committee send its first report?", "en"),
        one_passage(REPORTS, "National AI Initiative", "§ 9414(f)"),
        lambda _: False,
        IdfTable([REPORTS, "Nurses train.", "Funding comes from a regional bank."]),
        AnswerSettings().min_overlap,
    )
    assert verdict.outcome == "unsupported"
    assert "count from that date: 1 year after January 1, 2021" in verdict.dropped[0]
    assert not verdict.invented  # the passage holds the answer: it is quoted, not abstained
