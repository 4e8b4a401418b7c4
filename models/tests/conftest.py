import os
import sys

MODELS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, MODELS)

import torch  # noqa: E402

torch.set_num_threads(max(1, os.cpu_count() or 1))
