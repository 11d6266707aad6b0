"""Training: the EMS objectives, the loop, checkpoints."""
