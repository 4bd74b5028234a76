"""The web server: the FastAPI app (``api``), the Gradio chat UI (``ui``, with its
``passage_cards`` and the ``ui_state`` key), the ``/embed`` widget and its static files, the
OpenAI-compatible routes, security and limits (``security``, ``ratelimit``), the citation
source view and page rendering, feedback, example questions,
metrics, and ``service``, which owns the live answerer, reloads new builds and gates answers.

May import ``core``, ``chatbot.types``, ``chatbot.pipeline`` and ``chatbot.llm``; nothing else in
``chatbot`` imports it except the CLI (``chatbot serve``).
"""
