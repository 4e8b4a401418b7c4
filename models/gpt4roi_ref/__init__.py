"""PyTorch reference of GPT4RoI and the tooling around it (export, shapes task, training)."""
