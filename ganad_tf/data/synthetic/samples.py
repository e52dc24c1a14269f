"""Rendering the images of a set: one sample, or the whole set in memory."""

from typing import Any, Dict, List, Tuple

import numpy as np

from ganad_tf.data.synthetic.config import KINDS, SyntheticConfig
from ganad_tf.data.synthetic.defects import PAINTERS
from ganad_tf.data.synthetic.surface import render_surface
from ganad_tf.errors import ConfigError


def _bbox(mask: np.ndarray) -> List[int]:
  rows = np.flatnonzero(mask.any(axis=1))
  cols = np.flatnonzero(mask.any(axis=0))
  return [int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1]


def sample_streams(config: SyntheticConfig, kind: str, index: int
                   ) -> Tuple[np.random.Generator, np.random.Generator]:
  """The (surface, defect) random streams of one image."""
  sequence = np.random.SeedSequence(
      [config.seed, KINDS.index(kind), index])
  surface, defects = sequence.spawn(2)
  return np.random.default_rng(surface), np.random.default_rng(defects)


def render_sample(config: SyntheticConfig, kind: str, index: int,
                  with_defects: bool = True
                  ) -> Tuple[np.ndarray, np.ndarray, List[Dict[str, Any]]]:
  """Renders image `index` of `kind` exactly as generate_dataset does.

  Args:
    config: a validated SyntheticConfig.
    kind: one of KINDS.
    index: position within its kind, from 0.
    with_defects: False gives the same surface without its defects.

  Returns:
    (uint8 image [H, W, C], bool mask [H, W], list of defect dicts with
    kind, bbox [x0, y0, x1, y1] (x1, y1 exclusive), area and draw details).
  """
  if kind not in KINDS:
    raise ConfigError(f'Unknown kind {kind!r}; choose one of {KINDS}.')
  surface_rng, defect_rng = sample_streams(config, kind, index)
  image = render_surface(surface_rng, config.height, config.width,
                         config.channels)
  mask = np.zeros(image.shape[:2], bool)
  defects = []
  if kind == 'normal' or not with_defects:
    return image, mask, defects
  wanted = 2 if defect_rng.random() < config.second_defect_prob else 1
  painter = PAINTERS[kind]
  for number in range(wanted):
    # A second defect is redrawn until it lands clear of the first, so the
    # boxes in the manifest stay one per defect.
    for _ in range(10):
      painted, local, info = painter(image, defect_rng, config)
      if number == 0 or not (_dilate(local, 3) & mask).any():
        break
    else:
      break
    image = painted
    mask |= local
    defects.append({'kind': kind, 'bbox': _bbox(local),
                    'area': int(local.sum()), **info})
  return image, mask, defects


def _dilate(mask: np.ndarray, radius: int) -> np.ndarray:
  rows = np.flatnonzero(mask.any(axis=1))
  cols = np.flatnonzero(mask.any(axis=0))
  grown = np.zeros_like(mask)
  grown[max(0, rows[0] - radius):rows[-1] + radius + 1,
        max(0, cols[0] - radius):cols[-1] + radius + 1] = True
  return grown


def image_plan(config: SyntheticConfig) -> List[Tuple[str, int]]:
  """(kind, index) of every image of a set, in the order it is stored."""
  return [(kind, index) for kind in KINDS
          for index in range(config.counts.get(kind, 0))]


def generate_arrays(config: SyntheticConfig
                    ) -> Tuple[np.ndarray, List[str], np.ndarray]:
  """Renders the whole data set in memory (meant for small images).

  Returns:
    (uint8 images [N, H, W, C], kind of each image, bool masks [N, H, W]),
    ordered by kind as in KINDS, then by index; identical to the PNGs that
    generate_dataset writes for the same config.
  """
  config.validate()
  plan = image_plan(config)
  images = np.zeros((len(plan), config.height, config.width, config.channels),
                    np.uint8)
  masks = np.zeros((len(plan), config.height, config.width), bool)
  for n, (kind, index) in enumerate(plan):
    images[n], masks[n], _ = render_sample(config, kind, index)
  return images, [kind for kind, _ in plan], masks
