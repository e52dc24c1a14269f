"""What a synthetic data set holds: SyntheticConfig and its validation."""

import dataclasses
import math
from typing import Any, Dict, Tuple

import numpy as np

from ganad_tf.core import config as config_lib
from ganad_tf.errors import ConfigError

REFERENCE_WIDTH = 2192
KINDS = ('normal', 'scratch', 'stamped', 'stain')
DEFECT_KINDS = KINDS[1:]
# Smallest image side in pixels.
MIN_SIDE = 32


def _default_counts() -> Dict[str, int]:
  return {'normal': 400, 'scratch': 30, 'stamped': 15, 'stain': 8}


@dataclasses.dataclass
class SyntheticConfig:
  """What to render; equal configs give byte-identical data sets.

  Attributes:
    width, height: image size in pixels (paper: 2192x1000).
    channels: 1 (gray, like the paper's camera) or 3 (gray with a slight
      metallic tint; stains are then discoloured rather than only dark).
    counts: images per kind; keys from KINDS, missing kinds count 0. The
      default is imbalanced like the paper's data: stain is rarest.
    seed: non-negative integer seeding every image.
    scratch_length, scratch_width, stamped_diameter, stain_diameter:
      (min, max) in pixels at REFERENCE_WIDTH; scaled by width / 2192.
    scratch_contrast, stamped_contrast, stain_contrast: (min, max) peak
      change in gray levels, drawn log-uniformly so faint defects are
      common and strong ones still occur.
    second_defect_prob: chance that a defect image holds a second defect
      of the same kind.
  """
  width: int = 2192
  height: int = 1000
  channels: int = 1
  counts: Dict[str, int] = dataclasses.field(default_factory=_default_counts)
  seed: int = 0
  scratch_length: Tuple[float, float] = (40.0, 300.0)
  scratch_width: Tuple[float, float] = (1.0, 4.0)
  stamped_diameter: Tuple[float, float] = (15.0, 60.0)
  stain_diameter: Tuple[float, float] = (20.0, 90.0)
  scratch_contrast: Tuple[float, float] = (12.0, 70.0)
  stamped_contrast: Tuple[float, float] = (10.0, 45.0)
  stain_contrast: Tuple[float, float] = (8.0, 40.0)
  second_defect_prob: float = 0.15

  @property
  def scale(self) -> float:
    return self.width / REFERENCE_WIDTH

  def total(self) -> int:
    return sum(self.counts.get(kind, 0) for kind in KINDS)

  def validate(self):
    """Raises ConfigError naming the bad field and the fix."""
    for name in ('width', 'height'):
      value = getattr(self, name)
      if not is_whole_number(value) or value < MIN_SIDE:
        raise ConfigError(f'{name}={value!r} must be a whole number >= '
                          f'{MIN_SIDE} pixels (flag --{name}).')
    if self.channels not in (1, 3) or not is_whole_number(self.channels):
      raise ConfigError(f'channels={self.channels!r} is not supported; use 1 '
                        '(gray) or 3 (RGB) (flag --channels).')
    if not isinstance(self.counts, dict):
      raise ConfigError(f'counts must be a dict like {_default_counts()}, '
                        f'not {type(self.counts).__name__}.')
    unknown = set(self.counts) - set(KINDS)
    if unknown:
      raise ConfigError(f'Unknown image kinds {sorted(unknown)} in counts; '
                        f'use only {KINDS}.')
    for kind, value in self.counts.items():
      if not is_whole_number(value) or value < 0:
        raise ConfigError(f'counts[{kind!r}]={value!r} must be a whole number '
                          f'>= 0 (flag --num_{kind}).')
    if self.total() == 0:
      raise ConfigError('All counts are 0, so there is nothing to generate; '
                        'set at least one of --num_normal, --num_scratch, '
                        '--num_stamped, --num_stain above 0.')
    if not is_whole_number(self.seed) or self.seed < 0:
      raise ConfigError(f'seed={self.seed!r} must be a whole number >= 0 '
                        '(flag --seed).')
    for name in ('scratch_length', 'scratch_width', 'stamped_diameter',
                 'stain_diameter', 'scratch_contrast', 'stamped_contrast',
                 'stain_contrast'):
      _check_range(name, getattr(self, name))
    if self.scratch_contrast[1] > 255 or self.stamped_contrast[1] > 255 or (
        self.stain_contrast[1] > 255):
      raise ConfigError('Contrast ranges are gray levels and must stay <= '
                        '255.')
    # The largest defect, with its soft rim, must fit inside the image.
    largest = self.scale * max(self.scratch_length[1],
                               1.4 * self.stamped_diameter[1],
                               1.6 * self.stain_diameter[1])
    if largest > min(self.width, self.height) - 4:
      raise ConfigError(
          f'Defects up to {largest:.0f} px do not fit a {self.width}x'
          f'{self.height} image; lower the size ranges or use a taller '
          'image (sizes scale with width / 2192).')
    if not 0 <= self.second_defect_prob <= 1:
      raise ConfigError(f'second_defect_prob={self.second_defect_prob!r} '
                        'must be in [0, 1].')

  def to_dict(self) -> Dict[str, Any]:
    values = dataclasses.asdict(self)
    values['counts'] = {k: self.counts.get(k, 0) for k in KINDS}
    # Lists, as JSON reads them back, so a returned manifest equals the file.
    return {k: list(v) if isinstance(v, tuple) else v
            for k, v in values.items()}

  @classmethod
  def from_dict(cls, values: Dict[str, Any]) -> 'SyntheticConfig':
    # JSON turns tuples into lists.
    return config_lib.dataclass_from_dict(cls, {
        name: tuple(value) if isinstance(value, list) else value
        for name, value in values.items()})


def is_whole_number(value) -> bool:
  """An int or numpy integer, but not a bool."""
  return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _check_range(name: str, value):
  ok = (isinstance(value, (tuple, list)) and len(value) == 2 and
        all(isinstance(v, (int, float)) and math.isfinite(v) for v in value))
  if not ok or not 0 < value[0] <= value[1]:
    raise ConfigError(f'{name}={value!r} must be a (min, max) pair with '
                      '0 < min <= max.')
