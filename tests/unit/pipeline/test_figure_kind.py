"""The kind of figure a question asks for (money, a share, a date, a year, a count) and whether a
text states it."""

from __future__ import annotations

import pytest

from chatbot.pipeline.figure_kind import (
    asked_kind,
    counts_only_numbered,
    lengths_unstated,
    states_kind,
)


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How much money does the law authorize for the office?", "money"),
        ("What fee does the agency charge for a review?", "money"),
        ("What is the maximum dollar amount of a single award?", "money"),
        ("How much did agencies spend on licences in FY21?", "money"),
        ("Berapa besar biaya perizinan yang harus dibayar?", "money"),
        ("违规的服务提供者最高可被处以多少元罚款？", "money"),
        ("その計画の予算はいくらですか？", "money"),
        ("What percentage of teachers use digital tools?", "share"),
        ("What share of lending goes to EdTech projects?", "share"),
        ("Berapa persen anak usia 10 tahun tidak dapat membaca?", "share"),
        ("采用集中式治理模式的项目占多大比例？", "share"),
        ("本番環境を持つプログラムの割合はどれくらいですか？", "share"),
        ("What internet penetration rate does the report cite?", "share"),  # two words before
        ("On what date was the regulation enacted?", "date"),
        ("该办法自哪一天起施行？", "date"),
        ("In what year did the OECD hold its forum?", "year"),
        ("By which fiscal year must the report be filed?", "year"),
        ("Korika didirikan pada tahun berapa?", "year"),
        ("Korikaは何年に設立されましたか？", "year"),
        ("Korika是哪一年成立的？", "year"),
        ("How many members sit on the committee?", "count"),
        ("Berapa hari batas waktu pembayaran denda?", "count"),
        ("Berapa banyak penyelenggara yang terdaftar?", "count"),
        ("罚款的期限是多少天？", "count"),
        ("有多少个项目获得了资金？", "count"),
        ("記録は何日間保存しなければなりませんか？", "count"),
        ("委員会は何人で構成されますか？", "count"),
        ("その計画は何年間続きますか？", "count"),
        ("記録は何年間保存されますか？", "count"),
        ("AI戦略は何年度に導入されましたか？", "year"),
        ("Berapakah jumlah anggota dewan?", "count"),
        ("缴纳罚款的期限是多少周？", "count"),  # weeks: a count, never a sum
        ("罚款需要在多少小时内缴纳？", "count"),
        ("その法律は何年に施行されましたか？", "year"),
        ("How much annual economic value could AI add to Indonesia's economy?", "money"),
        ("Berapa nilai ekonomi tahunan yang dihasilkan AI bagi Indonesia?", "money"),
        ("AIはインドネシア経済にどれくらいの経済価値をもたらしますか？", "money"),
        ("人工智能每年可为印度尼西亚经济创造多少经济价值？", "money"),
        ("How much was budgeted for scholarships in FY2024?", "money"),
        ("Berapa batas maksimum suku bunga pinjaman per hari?", "share"),  # an interest rate
        ("Berapa bunga pinjaman per hari yang diizinkan?", "share"),
        ("Berapa kali bunga dibayar?", "count"),  # a count of payments, not a rate
        ("金利はいつ改定されましたか？", "time"),  # when a rate changed
        ("融資の金利の上限はどれくらいですか？", "share"),
        ("贷款利率上限是多少？", "share"),
        ("When did Indonesia release its strategy?", "time"),
        ("When was the observatory launched?", "time"),
        ("Kapan Indonesia meluncurkan strateginya?", "time"),
        ("その戦略はいつ発表されましたか？", "time"),
        ("该倡议什么时候终止？", "time"),
        ("When does the Initiative set up under 15 U.S.C. 9411 sunset?", "time"),  # a rule's end
        ("When will the regulation take effect?", "time"),
    ],
)
def test_questions_asking_for_a_checked_kind_of_figure(question: str, kind: str) -> None:
    assert asked_kind(question) == kind


@pytest.mark.parametrize(
    "question",
    [
        "Berapa nomor peraturan itu?",  # "berapa" alone: a number of any kind
        "How long must agencies keep the records?",  # often "until revoked": not checked
        "How much time is allowed to pay the fine?",
        "Berapa lama masa jabatan anggota Dewan?",
        "Berapa jangka waktu pembayaran denda?",  # a term to pay a fine, not a sum
        "Berapa jenis bunga yang dilindungi?",  # flowers
        "贷款利率由谁决定？",
        "How much authority does the tax office have?",  # not a sum of money
        "借款人有多少？",  # borrowers
        "What year-end reports are required?",
        "記録の保存期間は何年ですか？",  # how many years, or which year: either
        "What are the yearly targets?",
        "By what date must the committee report?",  # a deadline is often "within 90 days"
        "What are the costs of adopting EdTech?",  # costs as a topic, not a sum
        "What is the cost of inaction for learners?",
        "What funding mechanisms does the World Bank offer?",
        "What penalty applies to a late filing?",  # may be a sanction, not a sum
        "What exchange rate is used?",
        "What is the share capital requirement?",
        "What day does the office open?",
        "What date format must filings use?",
        "比例原则是什么？",
        "割合とは何ですか",
        "Who chairs the task force?",
        "What day-to-day tasks can RPA automate?",
        "When is a permit required?",  # a condition, not an event's time
        "When must the committee report?",
        "When does a provider need to notify the agency?",  # a condition: no start or end
        "When is a permit required to start a business?",  # a duty before the verb
        "When does the act apply to end users?",
        "When is end-to-end encryption required?",
        "Kapan batas waktu pelaporan paling lambat?",  # a deadline
        "文書はいつまでに更新しなければなりませんか？",
        "いつも何をしますか？",  # "always"
        "いつでも申請できますか？",  # "any time"
        "企业可以在任何时候申请吗？",
        "Kapan saja pendaftaran dibuka?",
        "Paling lambat kapan laporan diserahkan?",  # deadlines
        "Sampai kapan izin berlaku?",
        "Kapan perusahaan diwajibkan melapor?",
        "How can Indonesia catch up? 米国に追いつく方法は？",
        "Berapa nilai skor PISA Indonesia tahun 2018?",  # a score's value
        "How much value does the strategy place on human oversight?",
        "円滑な導入にはどのくらいの期間が必要ですか？",  # 円滑: smooth; how long
        "どのくらいの企業が予算を増やしましたか？",  # how many firms
        "有多少企业参与了价值链？",  # a value chain
        "价值观教育覆盖了多少学校？",  # values
    ],
)
def test_other_questions_ask_for_no_checked_kind(question: str) -> None:
    assert asked_kind(question) is None


def test_the_english_translation_of_a_question_is_read_too() -> None:
    assert asked_kind("Berapa lama prosesnya?", "How much does the process cost?") == "money"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("It is expected to generate US$600 billion a year.", "money"),
        ("There are authorized to be appropriated $10,000,000 for fiscal year 2021.", "money"),
        ("Modal disetor paling sedikit Rp2.500.000.000,00 (dua miliar rupiah).", "money"),
        ("最高可处以10万元罚款。", "money"),
        ("The fee is 500 euros.", "money"),
        ("Programme: AI scholarships; FY2024 (IDR billion): 420; Status: Ongoing.", "money"),
        ("Agency: NSF; Budget (US$ million): 12.5", "money"),
        ("项目：数据中心；预算（元）：420", "money"),
        ("68% of RPA programs use a centralized model.", "share"),
        ("Up to 70 percent of 10-year-olds cannot read.", "share"),
        ("Two-thirds of the schools closed.", "share"),
        ("One in five teachers uses it.", "share"),
        ("Ditetapkan di Jakarta pada tanggal 11 Juni 2009.", "date"),
        ("Adopted on 22 May 2019 by the Council.", "date"),
        ("Signed on October 24, 2024.", "date"),
        ("自2023年8月15日起施行。", "date"),
        ("It took effect on January 1st, 2020.", "date"),
        ("Filed on 2023/08/15.", "date"),
        ("One-third of schools closed.", "share"),
        ("A fee of Rs. 500 applies.", "money"),
        ("最高罚款人民币100万。", "money"),
        ("The strategy was released in 2020.", "year"),
        ("It applies from FY21 on.", "year"),
        ("The Task Force shall be composed of 12 members.", "count"),
        ("It consists of twenty-one experts.", "count"),
        ("Direksi terdiri dari dua belas anggota.", "count"),
        ("记录保存不少于六个月。", "count"),
        ("Reports are due within a year.", "count"),
        ("Over 2,000 bots were deployed in 2021.", "count"),
        ("The board trained 2000 teachers.", "count"),  # a year's digits, not said as a year
        ("The review is done twice a year.", "count"),
        ("报告应当在一个月内提交。", "count"),
        ("記録は一か月保存する。", "count"),
        ("Jumlahnya mencapai puluhan ribu penyelenggara.", "count"),
        ("令和5年に施行された。", "year"),
        ("２０２３年に公布された。", "year"),
        ("Valid for FY2024 only.", "year"),
        ("The strategy was released in 2020.", "time"),
        ("The Council adopted it in March.", "time"),
        ("It ends ten years after the date of enactment.", "time"),
        ("Izin berlaku selama 3 tahun.", "time"),
        ("该倡议六个月后终止。", "time"),
        ("2023年7月10日に公布された。", "time"),
        ("The Act takes effect on the date of enactment.", "time"),  # a day named by its event
        ("Peraturan Pemerintah ini mulai berlaku pada tanggal diundangkan.", "time"),
        ("该条例自公布之日起施行。", "time"),
        ("公布の日から起算して六月を経過した日から施行する。", "time"),
        ("Sales fell last year.", "time"),
        ("THE MAY 2019 REPORT", "time"),
        ("Incidents are reported within 72 hours.", "time"),
    ],
)
def test_texts_stating_a_figure_of_the_kind(text: str, kind: str) -> None:
    assert states_kind(text, kind)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("The agency reviews every significant change request.", "money"),
        ("The Task Force shall be composed of 12 members.", "money"),
        ("Section 5 covers the fee schedule.", "money"),
        ("In 2020 the strategy was released.", "date"),
        ("Within 90 days of the date of this memorandum.", "date"),
        ("The programme reached 1,001 automations.", "share"),
        ("Headcount: 120; Europe office: 40", "money"),  # "euro" only as a word
        ("Euro area inflation: 2.4%", "money"),  # a currency named, but no header's brackets
        ("The rupiah fell sharply, reserves: 5 months of imports", "money"),
        ("USD talks resumed at 10:30", "money"),
        ("It runs one in the morning and one at night.", "share"),
        ("The count rose to 12 in 2020.", "share"),
        ("Article 5 in 2009 set it out.", "share"),
        ("The strategy was released in the first quarter.", "year"),
        ("Section 5 of the 2020 Act names the members [1].", "count"),
        ("(2) The authority of each party is set out in Pasal 7 ayat (3).", "count"),
        ("第五条 提供者应当依法开展预训练。", "count"),
        ("The Observatory was launched in 2019.", "count"),
        ("It was adopted in May 2019 and revised since 2021 [2].", "count"),
        ("The 2020 Act and the 2021-2025 plan set it out.", "count"),
        ("施行日は2023年8月15日である。", "count"),
        # a law's citation numbers a title, a section, a volume, a law
        ("The Committee consults tribes under 25 U.S.C. 5304(e) [1].", "count"),
        ("See Pub. L. 116-283, 134 Stat. 4523, and 42 CFR 405.1.", "count"),
        ("Executive Order 14110 sets it out.", "count"),
        ("The government granted a Golden Visa to the founder of OpenAI.", "time"),
        ("Agencies may launch pilots after review.", "time"),  # "may" is no month
        ("The date is set by the Secretary.", "time"),
    ],
)
def test_texts_without_a_figure_of_the_kind(text: str, kind: str) -> None:
    assert not states_kind(text, kind)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("sentence", "passage_text", "question", "numbered"),
    [
        # a clause's number is no count; a count stated as one (in digits or words) is
        ("委员会有15名成员 [1]。", "Title 15 (Commerce).", "有多少名成员?", ["15"]),
        ("委员会有15名成员 [1]。", "The board has 15 members.", "有多少名成员?", []),
        ("委员会有25名成员 [1]。", "It consults under 25 U.S.C. 5304.", "有多少名成员?", ["25"]),
        ("委员会由5名成员组成 [1]。", "Article 5. It has five members.", "有多少名成员?", []),
        ("Ada 5 anggota [2].", "Pasal 5 ayat (2) mengatur tiga anggota.", "Berapa anggota?", ["5"]),
        ("审批需要30天 [1]。", "Section 30. It decides within 14 days.", "需要多少天?", ["30"]),
        (
            "Dalam 20 hari kerja [1].",
            "Pasal 30: dalam 20 (dua puluh) hari kerja.",
            "Berapa hari?",
            [],
        ),
        # a list's last item number tells how many items it has
        ("共有3个阶段 [1]。", "(1) pilot; (2) scale-up; (3) rollout.", "有几个阶段?", []),
        # only the numbers used as counts are checked: not a month's, a day's, a clause's
        ("2021年3月，有12名成员 [1]。", "In March 2021 it had 12 members.", "有多少名成员?", []),
        (
            "Per 31 Desember, ada 12 anggota [1].",
            "As of 31 December 2020: 12 members.",
            "Berapa?",
            [],
        ),
        ("根据第15编，理事会有9名成员 [1]。", "Title 15 (Commerce): 9 members.", "多少名成员?", []),
        # what the question says is not checked (full-width digits too), a clause label it
        # says is
        ("１５人のうち9人が女性 [1]。", "Title 15: 9 of them are women.", "１５人のうち何人?", []),
        ("有15名成员。", "Title 15 governs it.", "Title 15 规定的有多少名成员？", ["15"]),
    ],
)
def test_a_count_must_be_stated_as_one(
    sentence: str, passage_text: str, question: str, numbered: list[str]
) -> None:
    lang = "id" if sentence.isascii() else "zh"
    assert counts_only_numbered(sentence, [passage_text], question, lang) == numbered


def test_an_english_count_is_left_to_its_context_check() -> None:
    assert counts_only_numbered("It has 15 members [1].", ["Title 15."], "How many?", "en") == []


@pytest.mark.parametrize(
    ("sentence", "passage_text", "question", "unstated"),
    [
        (
            "在6个工作日内 [1]。",
            "paling lambat 6 (enam) bulan setelahnya",
            "多少个工作日?",
            ["6个工作日"],
        ),
        ("在15个工作日内 [1]。", "within 15 working days", "多少个工作日?", []),
        ("Dalam 30 hari kerja [1].", "within thirty (30) days of receipt", "Berapa hari?", []),
        ("12个月内 [1]。", "within a year", "多久?", []),
        ("Setahun sekali [1].", "every 12 months", "Seberapa sering?", []),
        ("30日以内に [1]。", "Section 30 applies.", "何日以内？", ["30日以内"]),
        # what the question says, a day's name and a year's are no length
        ("30日以内に [1]。", "Section 30 applies.", "30日以内とは？", []),
        ("2023年3月15日に [1]。", "It took effect in 2024.", "いつ？", []),
        ("2030年后 [1]。", "After the plan ends.", "何时？", []),
        ("年满18周岁的人 [1]。", "Adults may apply.", "谁？", []),
        ("Undang-Undang Nomor 11 Tahun 2020 [1].", "Law No. 11 of 2020.", "Apa?", []),
        ("3ヵ月以内 [1]。", "within 3 months", "何か月？", []),
        ("It takes 30 days [1].", "Section 30.", "How long?", []),  # English: read in context
    ],
)
def test_a_length_of_time_must_be_stated_in_its_unit(
    sentence: str, passage_text: str, question: str, unstated: list[str]
) -> None:
    lang = "en" if sentence.startswith("It") else "id" if sentence.isascii() else "ja"
    assert lengths_unstated(sentence, [passage_text], question, lang) == unstated
