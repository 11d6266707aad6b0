"""Readers for the project's inputs: parallel pairs for training, monolingual corpora for mining."""
