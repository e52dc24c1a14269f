"""Seeded synthetic images of brushed-metal surfaces with rare small defects.

The paper's real task is inspecting smartphone-case metal: 2192x1000 images
of brushed aluminium where a defect (scratch, stamped dent, stain) covers a
tiny fraction of the image and the defect kinds occur with unequal
frequency. That data set is not public, so this module renders a stand-in
with the same traits: anisotropic brushed grain, uneven lighting, sensor
noise, and defects of each kind with a pixel mask for scoring heat maps.

Every image has its own random stream derived from (seed, kind, index), so
an image does not change when the counts of other kinds change, and the
surface and its defects draw from separate streams so the clean surface of
any defect image can be re-rendered for comparison.

Sizes in `SyntheticConfig` are pixels at the paper's 2192-pixel width and
scale with the image width, so a 256-pixel-wide set is a faithful miniature.
"""

import concurrent.futures
import contextlib
import dataclasses
import io
import logging
import math
import multiprocessing
import os
import re
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image

from ganad_tf.core import config as config_lib
from ganad_tf import io_utils
from ganad_tf.errors import ConfigError, InputError, OutputError

logger = logging.getLogger(__name__)

REFERENCE_WIDTH = 2192
KINDS = ('normal', 'scratch', 'stamped', 'stain')
DEFECT_KINDS = KINDS[1:]
MASKS_DIR = 'masks'
MANIFEST = 'manifest.json'
MANIFEST_VERSION = 1
# Smallest sizes in pixels: below these a scaled-down defect stops looking
# like its kind (a 2-pixel dent is just noise).
_MIN_LENGTH = 8.0
_MIN_WIDTH = 1.0
_MIN_DIAMETER = 5.0
_MIN_SIDE = 32


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
      if not _is_int(value) or value < _MIN_SIDE:
        raise ConfigError(f'{name}={value!r} must be a whole number >= '
                          f'{_MIN_SIDE} pixels (flag --{name}).')
    if self.channels not in (1, 3) or not _is_int(self.channels):
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
      if not _is_int(value) or value < 0:
        raise ConfigError(f'counts[{kind!r}]={value!r} must be a whole number '
                          f'>= 0 (flag --num_{kind}).')
    if self.total() == 0:
      raise ConfigError('All counts are 0, so there is nothing to generate; '
                        'set at least one of --num_normal, --num_scratch, '
                        '--num_stamped, --num_stain above 0.')
    if not _is_int(self.seed) or self.seed < 0:
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


def _is_int(value) -> bool:
  return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _check_range(name: str, value):
  ok = (isinstance(value, (tuple, list)) and len(value) == 2 and
        all(isinstance(v, (int, float)) and math.isfinite(v) for v in value))
  if not ok or not 0 < value[0] <= value[1]:
    raise ConfigError(f'{name}={value!r} must be a (min, max) pair with '
                      '0 < min <= max.')


# ---------------------------------------------------------------- surface ---


def _box_blur(x: np.ndarray, length: int, axis: int) -> np.ndarray:
  """Moving average along `axis`; the output is `length - 1` shorter."""
  if length <= 1:
    return x
  x = np.moveaxis(x, axis, -1)
  sums = np.zeros(x.shape[:-1] + (x.shape[-1] + 1,), np.float32)
  np.cumsum(x, axis=-1, dtype=np.float32, out=sums[..., 1:])
  out = sums[..., length:] - sums[..., :-length]
  out *= np.float32(1 / length)
  return np.moveaxis(out, -1, axis)


def _unit_std(x: np.ndarray) -> np.ndarray:
  """Scales `x` in place to unit standard deviation (estimated sparsely)."""
  std = float(x[::4, ::4].std())
  x *= np.float32(1 / std if std > 0 else 1.0)
  return x


def _streaks(rng: np.random.Generator, rows: int, width: int, length: int,
             thickness: int = 1, sparsity: float = 1.0) -> np.ndarray:
  """Unit-variance noise smeared along x: one layer of brushing grain.

  Two box passes make a triangular kernel, so streaks fade out instead of
  ending abruptly. Uniform noise is 4x cheaper to draw than Gaussian and
  the blur makes it Gaussian anyway. `sparsity` < 1 keeps only a fraction
  of the seeds, which gives occasional distinct lines instead of a sheen.
  """
  pad = 2 * (length - 1)
  noise = rng.random((rows + thickness - 1, width + pad), dtype=np.float32)
  noise -= np.float32(0.5)
  if sparsity < 1:
    noise *= rng.random(noise.shape, dtype=np.float32) < sparsity
  out = _box_blur(_box_blur(noise, length, 1), length, 1)
  return _unit_std(_box_blur(out, thickness, 0))


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
  """Matrix product without BLAS.

  These products are small, and BLAS threads spinning after each call
  cost more CPU than the product itself when workers run in parallel; the
  plain loop also gives the same bits whatever BLAS a machine has.
  """
  return np.einsum('ik,kj->ij', a, b)


def _smooth_factors(rng: np.random.Generator, height: int, width: int,
                    cells_y: int, cells_x: int, amplitude: float
                    ) -> Tuple[np.ndarray, np.ndarray]:
  """Factors (left [height, k], right [k, width]) of a low-frequency field.

  Their product is noise with standard deviation `amplitude` interpolated
  from a coarse random grid. Gaussian interpolation weights (rows normalised
  to sum to 1) keep it smooth with no creases; keeping it factored lets
  several fields be summed by one small matrix product.
  """
  def weights(n, cells):
    centres = (np.arange(cells, dtype=np.float32) - 0.5) / (cells - 2) * n
    spacing = n / (cells - 2)
    pos = np.arange(n, dtype=np.float32)[:, None] + 0.5
    w = np.exp(-0.5 * ((pos - centres[None]) / (0.7 * spacing)) ** 2)
    return (w / w.sum(axis=1, keepdims=True)).astype(np.float32)

  grid = rng.standard_normal((cells_y + 2, cells_x + 2)).astype(np.float32)
  grid -= grid.mean()
  left = weights(height, cells_y + 2)
  right = _dot(grid, weights(width, cells_x + 2).T)
  std = float(_dot(left[::4], right[:, ::4]).std())
  return left * np.float32(amplitude / std if std > 0 else 0), right


def _smooth_field(rng: np.random.Generator, height: int, width: int,
                  cells_y: int, cells_x: int) -> np.ndarray:
  """Unit-variance low-frequency noise; see _smooth_factors."""
  left, right = _smooth_factors(rng, height, width, cells_y, cells_x, 1.0)
  return _dot(left, right)


def render_surface(rng: np.random.Generator, height: int, width: int,
                   channels: int = 1) -> np.ndarray:
  """Renders a defect-free brushed-metal image.

  Args:
    rng: the random stream; every draw makes a different surface.
    height, width: size in pixels.
    channels: 1 (gray) or 3 (gray with a slight random metallic tint).

  Returns:
    uint8 array [height, width, channels].
  """
  if channels not in (1, 3):
    raise ConfigError(f'channels={channels!r} must be 1 or 3.')
  if height < _MIN_SIDE or width < _MIN_SIDE:
    raise ConfigError(f'Surface {height}x{width} is too small; use at least '
                      f'{_MIN_SIDE}x{_MIN_SIDE}.')
  scale = width / REFERENCE_WIDTH

  def px(lo, hi, floor, step=1):
    return max(floor, int(round(rng.uniform(lo, hi) * scale / step)))

  # The brushing direction is never perfectly horizontal; tilting the grain
  # by shifting columns vertically is far cheaper than rotating the image.
  slope = math.tan(math.radians(rng.uniform(-2.5, 2.5)))
  shift = slope * np.arange(width, dtype=np.float32)
  shift -= shift.min()
  rows = height + int(math.ceil(float(shift.max()))) + 2

  # Fine grain at full resolution; long streaks vary so slowly along x that
  # they are drawn at 1/step of the width and repeated, which is 8x cheaper.
  grain = _streaks(rng, rows, width, px(30, 90, 3))
  step = max(1, int(8 * scale))
  narrow = -(-width // step)
  long_grain = np.float32(rng.uniform(0.5, 0.9)) * _streaks(
      rng, rows, narrow, px(250, 600, 8, step), thickness=2)
  long_grain += np.float32(rng.uniform(0.6, 1.2)) * _streaks(
      rng, rows, narrow, px(400, 1200, 12, step), sparsity=0.05)
  grain += np.repeat(long_grain, step, axis=1)[:, :width]

  tilted = np.empty((height, width), np.float32)
  base = np.floor(shift).astype(np.intp)
  frac = (shift - base).astype(np.float32)
  edges = np.flatnonzero(np.diff(base)) + 1
  for c0, c1 in zip(np.r_[0, edges], np.r_[edges, width]):
    b = base[c0]
    f = frac[c0:c1]
    tilted[:, c0:c1] = grain[b:b + height, c0:c1] * (1 - f)
    tilted[:, c0:c1] += grain[b + 1:b + 1 + height, c0:c1] * f
  grain = _unit_std(tilted)
  grain *= np.float32(rng.uniform(3.5, 7.0))

  # Lighting: a global gradient, the bright band that a light draws across
  # brushed metal perpendicular to the grain, soft shading and faint
  # blotches. The first two are separable, so they cost one full-size add.
  xs = np.arange(width, dtype=np.float32) / width - 0.5
  ys = np.arange(height, dtype=np.float32) / height - 0.5
  angle = rng.uniform(0, 2 * math.pi)
  gradient = rng.uniform(5, 30)
  band_x = rng.uniform(-0.6, 0.6)
  band_w = rng.uniform(0.08, 0.3)
  light_x = (gradient * math.cos(angle)) * xs + rng.uniform(0, 25) * np.exp(
      -0.5 * ((xs - band_x) / band_w) ** 2)
  light_y = (rng.uniform(110, 160) +
             (gradient * math.sin(angle) * height / width) * ys)
  grain += light_x.astype(np.float32)[None, :]
  grain += light_y.astype(np.float32)[:, None]
  shading = _smooth_factors(rng, height, width, 2, 4, rng.uniform(2, 8))
  blotches = _smooth_factors(rng, height, width, 8, 16, rng.uniform(0.5, 2))
  grain += _dot(np.concatenate([shading[0], blotches[0]], axis=1),
                np.concatenate([shading[1], blotches[1]], axis=0))

  if channels == 1:
    image = grain[..., None]
  else:
    # Aluminium reads as faintly blue-cool or warm; keep the tint subtle.
    tint = np.array([1.0, 1.0, 1.0], np.float32) + rng.uniform(
        -0.008, 0.008, 3).astype(np.float32)
    tint += np.array([-0.015, 0.0, 0.02], np.float32) * np.float32(
        rng.uniform(-1, 1.5))
    image = grain[..., None] * tint
  # Sensor noise: uniform with the wanted standard deviation, which after
  # 8-bit rounding is indistinguishable from Gaussian and much cheaper.
  noise = rng.random(image.shape, dtype=np.float32)
  noise -= np.float32(0.5)
  noise *= np.float32(rng.uniform(0.8, 2.0) * math.sqrt(12))
  image += noise
  return _to_uint8(image)


def _to_uint8(values: np.ndarray) -> np.ndarray:
  values = values + np.float32(0.5)
  np.clip(values, 0, 255, out=values)
  return values.astype(np.uint8)


# ---------------------------------------------------------------- defects ---


def _log_uniform(rng: np.random.Generator, bounds: Sequence[float]) -> float:
  return float(math.exp(rng.uniform(math.log(bounds[0]), math.log(bounds[1]))))


def _size(rng, bounds, scale, floor) -> float:
  return max(floor, float(rng.uniform(*bounds)) * scale)


def _check_image(image: np.ndarray):
  if (not isinstance(image, np.ndarray) or image.dtype != np.uint8 or
      image.ndim != 3 or image.shape[2] not in (1, 3)):
    raise InputError('Defect painters take a uint8 image [H, W, 1 or 3], '
                     f'got {getattr(image, "dtype", type(image))} '
                     f'{getattr(image, "shape", "")}.')


def _place(rng, image_shape, half_h: float, half_w: float,
           centre: Optional[Tuple[float, float]]) -> Tuple[float, float]:
  """A centre (y, x) that keeps a defect of the given half-extent inside."""
  height, width = image_shape[:2]
  if centre is not None:
    return float(centre[0]), float(centre[1])
  margin_y = min(half_h + 2, height / 2)
  margin_x = min(half_w + 2, width / 2)
  return (float(rng.uniform(margin_y, height - margin_y)),
          float(rng.uniform(margin_x, width - margin_x)))


def _window(image_shape, cy, cx, half: float) -> Tuple[slice, slice]:
  height, width = image_shape[:2]
  y0, y1 = max(0, int(cy - half)), min(height, int(math.ceil(cy + half)) + 1)
  x0, x1 = max(0, int(cx - half)), min(width, int(math.ceil(cx + half)) + 1)
  return slice(y0, y1), slice(x0, x1)


def _apply(image: np.ndarray, window, delta: np.ndarray) -> np.ndarray:
  """Adds a float change [h, w, C] to a copy of `image` inside `window`."""
  out = image.copy()
  patch = image[window].astype(np.float32) + delta
  out[window] = _to_uint8(patch)
  return out


def _full_mask(image_shape, window, local: np.ndarray,
               strength: np.ndarray) -> np.ndarray:
  mask = np.zeros(image_shape[:2], bool)
  if not local.any():
    # A defect scaled below the threshold still marks where it is strongest.
    local = np.zeros_like(local)
    local[np.unravel_index(np.argmax(strength), strength.shape)] = True
  mask[window] = local
  return mask


def _scratch(image, rng, config, centre=None):
  """Paints one scratch; returns (image, mask, info)."""
  scale = image.shape[1] / REFERENCE_WIDTH
  length = _size(rng, config.scratch_length, scale, _MIN_LENGTH)
  width = _size(rng, config.scratch_width, scale, _MIN_WIDTH)
  # A gently curving track: heading drifts linearly and quadratically, as a
  # tool dragged across the part does.
  steps = max(8, int(length / 3))
  t = np.linspace(0, 1, steps + 1)
  heading = (rng.uniform(0, math.pi) + rng.uniform(-0.7, 0.7) * t +
             rng.uniform(-0.5, 0.5) * t ** 2)
  step = length / steps
  points = np.zeros((steps + 1, 2))
  points[1:, 0] = np.cumsum(step * np.sin(heading[1:]))
  points[1:, 1] = np.cumsum(step * np.cos(heading[1:]))
  # A hand-made scratch is never a perfect arc: add a slight sideways wander.
  wander = sum(rng.normal(0, 0.6 * width / k) *
               np.sin(math.pi * k * t + rng.uniform(0, 2 * math.pi))
               for k in (2, 3, 5))
  points[:, 0] += wander * np.cos(heading)
  points[:, 1] -= wander * np.sin(heading)
  points -= (points.min(axis=0) + points.max(axis=0)) / 2
  reach = width + 3
  half = np.abs(points).max(axis=0) + reach
  cy, cx = _place(rng, image.shape, half[0], half[1], centre)
  points += (cy, cx)
  window = _window(image.shape, cy, cx, float(half.max()))
  ys = np.arange(window[0].start, window[0].stop, dtype=np.float32) + 0.5
  xs = np.arange(window[1].start, window[1].stop, dtype=np.float32) + 0.5
  dist = np.full((ys.size, xs.size), np.inf, np.float32)
  along = np.zeros_like(dist)
  y_off, x_off = window[0].start, window[1].start
  for i in range(steps):
    (ay, ax), (by, bx) = points[i], points[i + 1]
    # Only the segment's neighbourhood can be nearest to it.
    r0 = max(0, int(min(ay, by) - reach) - y_off)
    r1 = min(ys.size, int(max(ay, by) + reach) + 1 - y_off)
    c0 = max(0, int(min(ax, bx) - reach) - x_off)
    c1 = min(xs.size, int(max(ax, bx) + reach) + 1 - x_off)
    if r0 >= r1 or c0 >= c1:
      continue
    py, px = ys[r0:r1, None], xs[None, c0:c1]
    dy, dx = by - ay, bx - ax
    u = np.clip(((py - ay) * dy + (px - ax) * dx) / (dy * dy + dx * dx), 0, 1)
    d = np.hypot(py - (ay + u * dy), px - (ax + u * dx))
    closer = d < dist[r0:r1, c0:c1]
    dist[r0:r1, c0:c1] = np.where(closer, d, dist[r0:r1, c0:c1])
    along[r0:r1, c0:c1] = np.where(closer, (i + u) / steps,
                                   along[r0:r1, c0:c1])
  # Pixel coverage of a line of this width (anti-aliasing), plus a faint
  # halo where the scratch's raised edges catch the light.
  core = np.clip(width / 2 + 0.5 - dist, 0, 1)
  halo = 0.2 * np.exp(-0.5 * (dist / (width + 1.0)) ** 2)
  # Real scratches fade at both ends and vary in depth along their length.
  taper = np.clip(np.minimum(along, 1 - along) / 0.12, 0, 1) ** 0.7
  wobble = 1 + 0.3 * np.sin(2 * math.pi * (rng.uniform(1, 3) * along +
                                           rng.uniform(0, 1)))
  strength = np.minimum(core + halo, 1) * taper * np.minimum(wobble, 1)
  contrast = _log_uniform(rng, config.scratch_contrast)
  bright = bool(rng.random() < 0.65)
  delta = (contrast if bright else -contrast) * strength
  out = _apply(image, window, delta[..., None])
  mask = _full_mask(image.shape, window, core * taper >= 0.35, strength)
  info = {'contrast': round(contrast, 2),
          'polarity': 'bright' if bright else 'dark',
          'length_px': round(length, 1), 'width_px': round(width, 2)}
  return out, mask, info


def _stamped(image, rng, config, centre=None):
  """Paints one press mark (dent); returns (image, mask, info)."""
  scale = image.shape[1] / REFERENCE_WIDTH
  diameter = _size(rng, config.stamped_diameter, scale, _MIN_DIAMETER)
  radius_a = diameter / 2
  radius_b = radius_a * rng.uniform(0.6, 1.0)
  rotation = rng.uniform(0, math.pi)
  # Exponent 2 is an ellipse; larger values round-cornered press tools.
  power = rng.uniform(2.0, 3.5)
  reach = radius_a * 1.35 + 2
  cy, cx = _place(rng, image.shape, reach, reach, centre)
  window = _window(image.shape, cy, cx, reach)
  ys = np.arange(window[0].start, window[0].stop, dtype=np.float32)[:, None]
  xs = np.arange(window[1].start, window[1].stop, dtype=np.float32)[None, :]
  dy, dx = ys - cy, xs - cx
  u = dx * math.cos(rotation) + dy * math.sin(rotation)
  v = -dx * math.sin(rotation) + dy * math.cos(rotation)
  r = ((np.abs(u) / radius_a) ** power + (np.abs(v) / radius_b) ** power
       ) ** (1 / power)
  # Height: a smooth bowl plus the lip of metal pushed up around it.
  depth = np.where(r < 1, (1 - np.minimum(r, 1) ** 2) ** 2, 0)
  lip = rng.uniform(0.0, 0.35)
  height = -depth + lip * np.exp(-0.5 * ((r - 1.08) / 0.1) ** 2)
  # Light grazing from one side: the slope facing it is lit, the other side
  # in shadow; the gradient is in pixels, scaled back to radius units.
  light = rng.uniform(0, 2 * math.pi)
  grad_y, grad_x = np.gradient(height)
  shade = (grad_x * math.cos(light) + grad_y * math.sin(light)) * radius_a
  shade /= max(float(np.abs(shade).max()), 1e-6)
  contrast = _log_uniform(rng, config.stamped_contrast)
  delta = contrast * (0.85 * shade - 0.3 * depth)
  # Pressing flattens the brushing, so grain fades inside the dent.
  patch = image[window].astype(np.float32)
  flatten = (0.5 * depth)[..., None]
  delta = delta[..., None] + flatten * (patch.mean(axis=(0, 1)) - patch)
  out = _apply(image, window, delta)
  mask = _full_mask(image.shape, window,
                    r <= 1.0 + (0.1 if lip > 0.15 else 0), -r)
  info = {'contrast': round(contrast, 2), 'diameter_px': round(diameter, 1)}
  return out, mask, info


_STAIN_TINTS = (
    (1.0, 1.0, 1.0),    # gray film (oil, fingerprint residue)
    (0.55, 0.8, 1.0),   # brown / rust: blue absorbed most
    (0.75, 0.9, 1.0),   # yellowish dried liquid
    (1.0, 0.85, 0.6),   # bluish oxidation
)


def _stain(image, rng, config, centre=None):
  """Paints one stain; returns (image, mask, info)."""
  scale = image.shape[1] / REFERENCE_WIDTH
  diameter = _size(rng, config.stain_diameter, scale, _MIN_DIAMETER)
  radius = diameter / 2
  # Irregular outline: a few gentle angular harmonics for the overall
  # shape, then 2-D noise on the normalised distance so the edge wanders
  # organically and may throw off small lobes.
  harmonics = [(k, rng.uniform(0, 0.18) / k, rng.uniform(0, 2 * math.pi))
               for k in range(2, 5)]
  softness = rng.uniform(0.15, 0.45)
  reach = radius * 1.6 + 2
  cy, cx = _place(rng, image.shape, reach, reach, centre)
  window = _window(image.shape, cy, cx, reach)
  ys = np.arange(window[0].start, window[0].stop, dtype=np.float32)[:, None]
  xs = np.arange(window[1].start, window[1].stop, dtype=np.float32)[None, :]
  dy, dx = ys - cy, xs - cx
  theta = np.arctan2(dy, dx)
  outline = 1 + sum(a * np.cos(k * theta + p) for k, a, p in harmonics)
  h, w = theta.shape
  e = (np.hypot(dy, dx) / (radius * np.maximum(outline, 0.5)) +
       rng.uniform(0.1, 0.28) * _smooth_field(rng, h, w, 4, 4) +
       0.04 * _smooth_field(rng, h, w, 10, 10))
  # Smoothstep edge, softer outside than inside, as liquid spreads thin.
  edge = np.clip((1 + 0.3 * softness - e) / (1.3 * softness), 0, 1)
  alpha = edge * edge * (3 - 2 * edge)
  # Uneven density and the darker rim left where a drop dried.
  texture = 0.8 + 0.2 * _smooth_field(rng, h, w, 3, 3)
  ring = rng.uniform(0, 0.6) * np.exp(-0.5 * ((e - 0.9) / 0.08) ** 2)
  density = alpha * np.clip(texture + ring, 0.3, 1.6)
  contrast = _log_uniform(rng, config.stain_contrast)
  channels = image.shape[2]
  tint_id = 0 if channels == 1 else int(rng.integers(len(_STAIN_TINTS)))
  tint = np.array(_STAIN_TINTS[tint_id][:channels], np.float32)
  delta = -contrast * density[..., None] * tint
  out = _apply(image, window, delta)
  mask = _full_mask(image.shape, window, alpha >= 0.5, alpha)
  info = {'contrast': round(contrast, 2), 'diameter_px': round(diameter, 1),
          'tint': ('gray', 'brown', 'yellow', 'blue')[tint_id]}
  return out, mask, info


_PAINTERS = {'scratch': _scratch, 'stamped': _stamped, 'stain': _stain}


def _painter_config(config: Optional[SyntheticConfig]) -> SyntheticConfig:
  return SyntheticConfig() if config is None else config


def add_scratch(image: np.ndarray, rng: np.random.Generator,
                config: Optional[SyntheticConfig] = None,
                centre: Optional[Tuple[float, float]] = None
                ) -> Tuple[np.ndarray, np.ndarray]:
  """Adds a thin, anti-aliased, gently curved bright or dark scratch.

  Args:
    image: uint8 [H, W, C]; not modified.
    rng: random stream for the scratch's shape, place and contrast.
    config: size and contrast ranges (defaults if None).
    centre: optional (y, x) centre; random inside the image otherwise.

  Returns:
    (new image, bool mask [H, W] of the scratch).
  """
  _check_image(image)
  return _scratch(image, rng, _painter_config(config), centre)[:2]


def add_stamped(image: np.ndarray, rng: np.random.Generator,
                config: Optional[SyntheticConfig] = None,
                centre: Optional[Tuple[float, float]] = None
                ) -> Tuple[np.ndarray, np.ndarray]:
  """Adds a press-mark dent lit from one side. Arguments as add_scratch."""
  _check_image(image)
  return _stamped(image, rng, _painter_config(config), centre)[:2]


def add_stain(image: np.ndarray, rng: np.random.Generator,
              config: Optional[SyntheticConfig] = None,
              centre: Optional[Tuple[float, float]] = None
              ) -> Tuple[np.ndarray, np.ndarray]:
  """Adds an irregular soft-edged dark or discoloured blob. As add_scratch."""
  _check_image(image)
  return _stain(image, rng, _painter_config(config), centre)[:2]


# ---------------------------------------------------------------- samples ---


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
  painter = _PAINTERS[kind]
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


def _plan(config: SyntheticConfig) -> List[Tuple[str, int]]:
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
  plan = _plan(config)
  images = np.zeros((len(plan), config.height, config.width, config.channels),
                    np.uint8)
  masks = np.zeros((len(plan), config.height, config.width), bool)
  for n, (kind, index) in enumerate(plan):
    images[n], masks[n], _ = render_sample(config, kind, index)
  return images, [kind for kind, _ in plan], masks


def file_name(kind: str, index: int) -> str:
  return f'{kind}_{index:04d}.png'


_OWN_FILE = re.compile(r'^(%s)_\d{4,}\.png$' % '|'.join(KINDS))


def _png_bytes(array: np.ndarray) -> bytes:
  buffer = io.BytesIO()
  # Level 1 is several times faster than the default and only ~10% larger
  # on noisy metal texture, which barely compresses anyway.
  Image.fromarray(array).save(buffer, format='PNG', compress_level=1)
  return buffer.getvalue()


def _write_bytes(path: str, data: bytes):
  with open(path, 'wb') as handle:
    handle.write(data)


def _write_sample(output_dir: str, config: SyntheticConfig, kind: str,
                  index: int) -> Dict[str, Any]:
  """Renders one image and writes it and its mask; returns its record."""
  image, mask, defects = render_sample(config, kind, index)
  name = file_name(kind, index)
  image_file = os.path.join(kind, name)
  mask_file = os.path.join(MASKS_DIR, kind, name)
  _write_bytes(os.path.join(output_dir, image_file),
               _png_bytes(image[..., 0] if config.channels == 1 else image))
  _write_bytes(os.path.join(output_dir, mask_file),
               _png_bytes(mask.astype(np.uint8) * 255))
  return {'file': image_file, 'mask': mask_file, 'kind': kind,
          'index': index, 'defects': defects}


def _write_sample_star(args) -> Dict[str, Any]:
  return _write_sample(*args)


def generate_dataset(output_dir: str, config: SyntheticConfig,
                     overwrite: bool = False, num_workers: int = 1,
                     log_every_secs: float = 10.0) -> Dict[str, Any]:
  """Writes the data set as PNG folders plus masks and a manifest.

  Layout: output_dir/<kind>/<kind>_NNNN.png for every kind,
  output_dir/masks/<kind>/<same name> (0 or 255; all 0 for normal images)
  and output_dir/manifest.json, written last so its presence means the set
  is complete. The files do not depend on num_workers.

  Args:
    output_dir: folder to fill; created if missing.
    config: what to render; validated here.
    overwrite: allow a folder that already holds a generated set; files of
      ours that the new set does not contain are removed so no stale image
      survives.
    num_workers: processes rendering in parallel; 0 means one per CPU.
    log_every_secs: seconds between progress log lines.

  Returns:
    The manifest: config, counts, and per image its file, mask file and
    defects (kind, bbox [x0, y0, x1, y1] with x1, y1 exclusive, area, ...).

  Raises:
    ConfigError: invalid config or num_workers.
    OutputError: the folder is not writable, or holds a previous set and
      overwrite is False.
  """
  config.validate()
  if not _is_int(num_workers) or num_workers < 0:
    raise ConfigError(f'num_workers={num_workers!r} must be a whole number '
                      '>= 0 (0 = one per CPU) (flag --num_workers).')
  output_dir = io_utils.ensure_writable_dir(output_dir)
  existing = _existing_files(output_dir)
  manifest_path = os.path.join(output_dir, MANIFEST)
  if (existing or os.path.exists(manifest_path)) and not overwrite:
    raise OutputError(
        f'{output_dir!r} already holds a generated data set '
        f'({len(existing)} images and masks); pass overwrite=True '
        '(--overwrite) to replace it, or choose an empty folder.')
  if os.path.exists(manifest_path):
    # Until the new manifest lands, the folder must not look complete.
    os.remove(manifest_path)
  for kind in KINDS:
    os.makedirs(os.path.join(output_dir, kind), exist_ok=True)
    os.makedirs(os.path.join(output_dir, MASKS_DIR, kind), exist_ok=True)

  plan = _plan(config)
  jobs = [(output_dir, config, kind, index) for kind, index in plan]
  workers = min(num_workers or os.cpu_count() or 1, len(jobs))
  records = []
  start = last_log = time.monotonic()
  with contextlib.ExitStack() as stack:
    if workers > 1:
      # Spawned workers import only numpy and pillow, so this is safe even
      # when the caller has already started TensorFlow's threads.
      pool = stack.enter_context(concurrent.futures.ProcessPoolExecutor(
          workers, mp_context=multiprocessing.get_context('spawn')))
      results = pool.map(_write_sample_star, jobs, chunksize=4)
    else:
      results = map(_write_sample_star, jobs)
    for record in results:
      records.append(record)
      now = time.monotonic()
      if now - last_log >= log_every_secs or len(records) == len(jobs):
        last_log = now
        rate = len(records) / max(now - start, 1e-9)
        logger.info('Synthetic images: %d/%d written to %s (%.1f images/s, '
                    '%.0f s left).', len(records), len(jobs), output_dir,
                    rate, (len(jobs) - len(records)) / rate)
  written = {path for r in records for path in (r['file'], r['mask'])}
  for stale in sorted(existing - written):
    os.remove(os.path.join(output_dir, stale))

  manifest = {
      'version': MANIFEST_VERSION,
      'config': config.to_dict(),
      'counts': {kind: config.counts.get(kind, 0) for kind in KINDS},
      'bbox_format': 'x0, y0, x1, y1 in pixels; x1 and y1 exclusive',
      'images': records,
  }
  io_utils.write_json(manifest_path, manifest)
  logger.info('Synthetic data set of %d images written to %s in %.1f s.',
              len(records), output_dir, time.monotonic() - start)
  return manifest


def _existing_files(output_dir: str) -> set:
  """Relative paths of files a previous generate_dataset left here."""
  found = set()
  for kind in KINDS:
    for folder in (kind, os.path.join(MASKS_DIR, kind)):
      path = os.path.join(output_dir, folder)
      if os.path.isdir(path):
        found.update(os.path.join(folder, name) for name in os.listdir(path)
                     if _OWN_FILE.match(name))
  return found


def load_manifest(output_dir: str) -> Dict[str, Any]:
  """Reads the manifest of a generated set; its absence means incomplete."""
  path = os.path.join(output_dir, MANIFEST)
  if not os.path.exists(path):
    raise OutputError(f'No {MANIFEST} in {output_dir!r}: the set is missing '
                      'or its generation did not finish; rerun '
                      'experiments/make_synthetic.py.')
  return io_utils.read_json(path)
