"""One reader per document format: bytes in, located pages of light Markdown out.

Each module reads one format (``text`` for plain text and Markdown, ``pdf`` for PDFs) into
:class:`~ingest.readers.page.Page` objects and raises :class:`~ingest.readers.page.LoadError`
with a reason a person can act on. Readers import only ``page``, ``core`` and their parsing
library; :mod:`ingest.load` picks the reader by file suffix. Nothing here imports ``chatbot``.
"""
