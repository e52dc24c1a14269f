"""Pictures of a detector's verdict: heat maps laid over the photos."""

import os
from typing import Dict, Optional, Tuple

import numpy as np
from PIL import Image, ImageDraw, ImageFont


def render_overlay(image: np.ndarray, heat: np.ndarray,
                   heat_scale: Dict[str, float], score: float,
                   threshold: float, decision: bool,
                   box: Optional[Tuple[int, int, int, int]] = None,
                   max_width: int = 1024):
  """The image with its heat map laid over it, as a PIL image.

  Heat below heat_scale['low'] is transparent; it turns opaque and hot
  towards heat_scale['high']. A banner states score, threshold and
  decision; `box` (y0, x0, y1, x1) outlines the highest-scoring tile.
  """
  # matplotlib is imported only when overlays are drawn: it is slow to load.
  from matplotlib import colormaps  # pylint: disable=g-import-not-at-top
  height, width = image.shape[:2]
  scale = min(1.0, max_width / width)
  size = (max(1, int(round(width * scale))), max(1, int(round(height * scale))))
  base = Image.fromarray(image[..., 0] if image.shape[2] == 1 else image)
  base = np.asarray(base.convert('RGB').resize(size, Image.BILINEAR),
                    np.float32)
  heat = np.asarray(Image.fromarray(heat.astype(np.float32)).resize(
      size, Image.BILINEAR))
  low, high = heat_scale['low'], heat_scale['high']
  level = np.clip((heat - low) / max(high - low, 1e-12), 0, 1)
  colours = colormaps['jet'](level)[..., :3] * 255
  alpha = (0.15 + 0.6 * level)[..., None] * (level[..., None] > 0)
  blended = base * (1 - alpha) + colours * alpha
  overlay = Image.fromarray(np.clip(blended, 0, 255).astype(np.uint8))
  draw = ImageDraw.Draw(overlay)
  if box is not None:
    y0, x0, y1, x1 = (int(round(v * scale)) for v in box)
    draw.rectangle([x0, y0, x1 - 1, y1 - 1], outline=(255, 255, 255),
                   width=max(1, int(round(2 * scale + 0.5))))
  verdict = 'DEFECT' if decision else 'ok'
  text = f'{verdict}  score {score:.4g} vs threshold {threshold:.4g}'
  font = ImageFont.load_default(size=max(10, size[0] // 50))
  left, top, right, bottom = draw.textbbox((4, 2), text, font=font)
  draw.rectangle([0, 0, right + 4, bottom + 3], fill=(0, 0, 0))
  draw.text((4, 2), text, font=font,
            fill=(255, 80, 80) if decision else (120, 255, 120))
  return overlay


def unique_stem(name: str, used: set) -> str:
  """A flat, unique overlay file stem from a (relative) image path."""
  stem = os.path.splitext(name)[0].strip(os.sep).replace(os.sep, '__')
  stem = stem.replace(':', '_') or 'image'
  candidate, number = stem, 1
  while candidate in used:
    number += 1
    candidate = f'{stem}_{number}'
  used.add(candidate)
  return candidate
