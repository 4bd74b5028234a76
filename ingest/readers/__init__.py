"""One reader per document format: bytes in, located pages of light Markdown out.

Each module reads one format (``text`` for plain text and Markdown, ``pdf``, ``word`` for .docx,
``webpage`` for .html/.htm, ``slides`` for .pptx, ``sheets`` for .xlsx/.csv, ``epub``, ``odt``)
into :class:`~ingest.readers.page.Page` objects and raises :class:`~ingest.readers.page.LoadError`
with a reason a person can act on. ``archive`` bounds zip archives and parses XML safely,
``markdown`` writes headings, lists and tables. Readers import only these, ``core`` and their
parsing library; :mod:`ingest.load` picks the reader by file suffix. Nothing here imports
``chatbot``.
"""
