"""Index -> answers: retrieve passages, answer with citations, serve the UI and the HTTP API.

Packages by role: ``pipeline`` (the answer steps), ``web`` (HTTP, UI, widget, security), ``llm``
(the model runtime) and ``evaluation`` (``chatbot eval``). At the top: ``cli`` (the ``chatbot``
command), ``types`` (the answer and citation types every part shares) and
``langchain_retriever`` (the index as a LangChain retriever). ``chatbot`` never imports
``ingest``: it reads only the index on disk.
"""
