"""Records in: schema, validation, normalisation, text analysis, embeddings and engines."""
