"""Corpus -> index: load documents, split, align variants, embed, and write a safe index."""
