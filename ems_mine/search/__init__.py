"""Cross-lingual sentence search: a persistent index (``index.py``), the HTTP service and its page (``service.py``)."""
