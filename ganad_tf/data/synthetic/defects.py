"""The defect painters: scratches, stamped dents and stains, with masks."""

import math
from typing import Optional, Sequence, Tuple

import numpy as np

from ganad_tf.data import checks
from ganad_tf.data.synthetic import surface
from ganad_tf.data.synthetic.config import REFERENCE_WIDTH, SyntheticConfig

# Smallest sizes in pixels: below these a scaled-down defect stops looking
# like its kind (a 2-pixel dent is just noise).
_MIN_LENGTH = 8.0
_MIN_WIDTH = 1.0
_MIN_DIAMETER = 5.0


def _log_uniform(rng: np.random.Generator, bounds: Sequence[float]) -> float:
  return float(math.exp(rng.uniform(math.log(bounds[0]), math.log(bounds[1]))))


def _size(rng, bounds, scale, floor) -> float:
  return max(floor, float(rng.uniform(*bounds)) * scale)


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
  out[window] = surface.to_uint8(patch)
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
       rng.uniform(0.1, 0.28) * surface.smooth_field(rng, h, w, 4, 4) +
       0.04 * surface.smooth_field(rng, h, w, 10, 10))
  # Smoothstep edge, softer outside than inside, as liquid spreads thin.
  edge = np.clip((1 + 0.3 * softness - e) / (1.3 * softness), 0, 1)
  alpha = edge * edge * (3 - 2 * edge)
  # Uneven density and the darker rim left where a drop dried.
  texture = 0.8 + 0.2 * surface.smooth_field(rng, h, w, 3, 3)
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


PAINTERS = {'scratch': _scratch, 'stamped': _stamped, 'stain': _stain}


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
  checks.check_uint8_image(image, 'The image to paint on')
  return _scratch(image, rng, _painter_config(config), centre)[:2]


def add_stamped(image: np.ndarray, rng: np.random.Generator,
                config: Optional[SyntheticConfig] = None,
                centre: Optional[Tuple[float, float]] = None
                ) -> Tuple[np.ndarray, np.ndarray]:
  """Adds a press-mark dent lit from one side. Arguments as add_scratch."""
  checks.check_uint8_image(image, 'The image to paint on')
  return _stamped(image, rng, _painter_config(config), centre)[:2]


def add_stain(image: np.ndarray, rng: np.random.Generator,
              config: Optional[SyntheticConfig] = None,
              centre: Optional[Tuple[float, float]] = None
              ) -> Tuple[np.ndarray, np.ndarray]:
  """Adds an irregular soft-edged dark or discoloured blob. As add_scratch."""
  checks.check_uint8_image(image, 'The image to paint on')
  return _stain(image, rng, _painter_config(config), centre)[:2]
