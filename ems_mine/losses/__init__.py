"""One loss per module, each with its formula in the docstring."""
from .contrastive import contrastive_loss
from .distill import distill_loss
from .xtr import bag_of_tokens, xtr_loss

__all__ = ["bag_of_tokens", "contrastive_loss", "distill_loss", "xtr_loss"]
