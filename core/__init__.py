"""What ingest and chatbot share: settings, the chunk schema, the index store, embedders and
the text rules."""
