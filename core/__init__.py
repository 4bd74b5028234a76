"""What ingest and chatbot share: settings, the chunk schema, the index store (FAISS files in
``store``, Milvus collections in ``milvus_store``, chosen by ``backend``), embedders and the
text rules."""
