"""``chatbot eval``: run a questions file through an answerer, score each answer (accuracy,
citation hit, abstention, unsupported facts, latency) and write the HTML report (``report``).

May import ``core``, ``chatbot.types`` and ``chatbot.pipeline`` (scoring reuses the verifier's
rules); never ``chatbot.web``.
"""
