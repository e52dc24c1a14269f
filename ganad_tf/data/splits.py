"""The one validation split: seeded, stratified by label.

Used by the benchmark (labels are classes) and by the folder workflow
(labels are defect kinds). The test split is never touched.
"""

import numpy as np

from ganad_tf.errors import ConfigError


def validation_mask(labels, fraction: float, seed: int) -> np.ndarray:
  """Boolean mask of the held-out examples.

  From each label, round(fraction * count) examples are drawn without
  replacement, but at least one and at most count - 1, so every label keeps
  training examples and, with fraction > 0, has validation examples. A
  label with a single example stays in training.

  Args:
    labels: one label per example.
    fraction: share held out per label, in [0, 1).
    seed: seed of the draw; equal seeds give equal masks.
  """
  if not 0 <= fraction < 1:
    raise ConfigError(f'validation_fraction={fraction} must be in [0, 1).')
  labels = np.asarray(labels)
  rng = np.random.default_rng(seed)
  held_out = np.zeros(len(labels), bool)
  if fraction == 0:
    return held_out
  for label in np.unique(labels):
    members = np.flatnonzero(labels == label)
    if len(members) < 2:
      continue
    count = min(max(int(round(fraction * len(members))), 1), len(members) - 1)
    held_out[rng.choice(members, count, replace=False)] = True
  return held_out
