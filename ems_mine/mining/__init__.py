"""Bitext mining: kNN search, margin scoring, candidate selection (pure NumPy), and the file stage."""
