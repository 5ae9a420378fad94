"""The segment stage: documents to sentences and jieba tokens."""
