"""Seeded, stratified selections of a training split.

`validation_mask` is the one validation split, used by the benchmark
(labels are classes) and by the folder workflow (labels are defect kinds);
`per_label_subset` makes a small training set for step-budget studies. The
test split is never touched.
"""

from typing import List, Sequence

import numpy as np

from ganad_tf.errors import ConfigError


def validation_mask(labels, fraction: float, seed: int) -> np.ndarray:
  """Boolean mask of the held-out examples.

  From each label, round(fraction * count) examples are drawn without
  replacement, but at least one and at most count - 1, so every label keeps
  training examples and, with fraction > 0, has validation examples. A
  label with a single example stays in training. (The benchmark's own rule
  before issue 11 had no such clamp; the two agree whenever 1 <=
  round(fraction * count) <= count - 1 for every label, as for every
  committed run, and differ only for tiny classes.)

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


# Training images per group in the train-AUROC diagnostic.
DIAGNOSTIC_SAMPLE = 1000


def diagnostic_sample(group_sizes: Sequence[int], seed: int,
                      count: int = DIAGNOSTIC_SAMPLE) -> List[np.ndarray]:
  """Sorted positions of a fixed sample of up to `count` members of each
  group: the training images the train-AUROC diagnostic scores (benchmark
  class runs and detectors alike)."""
  rng = np.random.default_rng([seed, 7])
  return [np.sort(rng.permutation(size)[:count]) for size in group_sizes]


def per_label_subset(labels, count: int, seed: int) -> np.ndarray:
  """Sorted indices of at most `count` examples of each label, drawn
  without replacement (all of a label's examples when it has fewer)."""
  if count < 1:
    raise ConfigError(f'train_per_class={count} must be >= 1.')
  labels = np.asarray(labels)
  rng = np.random.default_rng(seed)
  picked = []
  for label in np.unique(labels):
    members = np.flatnonzero(labels == label)
    picked.append(members if len(members) <= count else
                  rng.choice(members, count, replace=False))
  return np.sort(np.concatenate(picked)) if picked else np.zeros(0, np.int64)
