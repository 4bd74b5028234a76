"""Questions asking what a term means, and the sentences that define it, in four languages."""

from __future__ import annotations

import pytest

from chatbot.pipeline.definition import defined_term, defines


@pytest.mark.parametrize(
    ("question", "term"),
    [
        ('What does the OECD Recommendation mean by "AI actors"?', "AI actors"),
        ('What is an "AI system" in the Recommendation\'s terminology?', "AI system"),
        ("How does the FedRAMP document define a significant change?", "significant change"),
        ("What is Korika?", "Korika"),
        ("Define machine learning.", "machine learning"),
        (
            "Apa yang dimaksud dengan Layanan Pinjam Meminjam Uang dalam POJK 77/2016?",
            "Layanan Pinjam Meminjam Uang",
        ),
        ("フロンティアAIモデルとは何ですか？", "フロンティアAIモデル"),
        ("什么是生成式人工智能服务？", "生成式人工智能服务"),
        # Of two quoted names, the one the meaning is asked of.
        ("中国の「暂行办法」では、「服务提供者」はどのように定義されていますか？", "服务提供者"),
        # A possessive's apostrophe opens no quotation.
        ("What does the OECD's Recommendation mean by 'AI actors'?", "AI actors"),
        ("什么是中小企业？", "中小企业"),
    ],
)
def test_the_term_a_question_asks_the_meaning_of(question: str, term: str) -> None:
    assert defined_term(question) == term


@pytest.mark.parametrize(
    "question",
    [
        "When did the plan start?",
        "How many nurses were trained?",
        "What is the maximum total loan a lending platform may extend to a single borrower "
        "under the regulation?",  # a description, not a term
        "What is it?",  # a follow-up's pronoun
        'What is the total budget of "Making Indonesia 4.0"?',  # a quoted name, no meaning asked
    ],
)
def test_other_questions_ask_for_no_term(question: str) -> None:
    assert defined_term(question) is None


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("Terms\n\n‒ AI actors: AI actors are those who play an active role.", "AI actors"),
        (
            "changes “significant.” A significant change is one that is likely to",
            "significant change",
        ),
        (
            "hukum.\n3. Layanan Pinjam Meminjam adalah penyelenggaraan layanan",
            "Layanan Pinjam Meminjam",
        ),
        ("(b) the term 'Secretary' means the Secretary of Energy", "Secretary"),
        (
            "本办法下列用语的含义是：\n\n（一）生成式人工智能技术，是指具有文本",
            "生成式人工智能技术",
        ),
        ("第二条 本办法所称服务提供者，是指利用技术提供服务的组织", "服务提供者"),
    ],
)
def test_a_sentence_that_defines_the_term(text: str, term: str) -> None:
    assert defines(text, term)


@pytest.mark.parametrize(
    "text",
    [
        "We think a significant change is one that matters.",  # the term does not open it
        "Significant changes were reported in 2021 by every agency.",  # no defining word
    ],
)
def test_a_sentence_that_only_uses_the_term(text: str) -> None:
    assert not defines(text, "significant change")


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("服务提供者指南已发布。", "服务提供者"),
        ("生成式人工智能服务是否安全", "生成式人工智能服务"),
    ],
)
def test_a_chinese_word_starting_with_a_defining_character_defines_nothing(
    text: str, term: str
) -> None:
    assert not defines(text, term)  # 指南 (guide), 是否 (whether)
