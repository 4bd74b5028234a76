"""The answer steps, in the order they run: understand -> retrieve -> evidence -> generate (or
extract) -> verify -> citations, and ``answer`` that runs them for one question.

Also here is what only these steps use: ``prompts`` (every text the model reads), ``coverage``
(term weights), ``sentence_cache`` and ``query_vectors`` (per-index and per-question caches).
May import ``core``, ``chatbot.types`` and ``chatbot.llm`` (to start and call the model); never
``chatbot.web``, ``chatbot.evaluation`` or ``ingest``.
"""
