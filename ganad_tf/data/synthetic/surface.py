"""The defect-free brushed-metal surface: grain, lighting and sensor noise."""

import math
from typing import Tuple

import numpy as np

from ganad_tf.data.synthetic.config import MIN_SIDE, REFERENCE_WIDTH
from ganad_tf.errors import ConfigError


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


def smooth_field(rng: np.random.Generator, height: int, width: int,
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
  if height < MIN_SIDE or width < MIN_SIDE:
    raise ConfigError(f'Surface {height}x{width} is too small; use at least '
                      f'{MIN_SIDE}x{MIN_SIDE}.')
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
  return to_uint8(image)


def to_uint8(values: np.ndarray) -> np.ndarray:
  """Rounds float gray levels to uint8, clipping to 0..255."""
  values = values + np.float32(0.5)
  np.clip(values, 0, 255, out=values)
  return values.astype(np.uint8)
