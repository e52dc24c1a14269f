"""Figures: reconstructions and error maps, ROC curves, speed bubbles.

All functions draw on a fresh matplotlib Figure and save a PNG atomically;
nothing is shown on screen. They use matplotlib.figure.Figure rather than
pyplot, so importing this module leaves the caller's backend (e.g. a
notebook's) alone and no figure stays open.
"""

from typing import Dict, Optional, Sequence, Tuple

from matplotlib.figure import Figure
import numpy as np

from ganad_tf import io_utils
from ganad_tf.core import metrics
from ganad_tf import pixels


def _subplots(rows: int = 1, cols: int = 1, figsize=None, **options):
  """Like pyplot.subplots, on a Figure that no pyplot state tracks."""
  figure = Figure(figsize=figsize)
  return figure, figure.subplots(rows, cols, **options)


def _save(figure: Figure, path: str):
  with io_utils.atomic_open(path, 'wb') as handle:
    figure.savefig(handle, format='png', dpi=110, bbox_inches='tight')


def _display(image: np.ndarray) -> Tuple[np.ndarray, Optional[str]]:
  """[-1, 1] (H, W, C) -> [0, 1] image and the colormap to show it with."""
  image = pixels.to_unit_range(image)
  if image.shape[-1] == 1:
    return image[..., 0], 'gray'
  return image, None


def reconstruction_grid(path: str,
                        groups: Dict[str, Tuple[np.ndarray, np.ndarray,
                                                np.ndarray]],
                        title: str = '', error_max: Optional[float] = None):
  """Original / reconstruction / error-map rows (paper Fig. 3 and 4).

  Args:
    path: PNG to write.
    groups: label -> (images, reconstructions, error maps): images and
      reconstructions (N, H, W, C) in [-1, 1], error maps (N, H, W) from
      `ganad_tf.core.scoring.error_map`; typically {'normal': ...,
      'anomaly': ...}.
    title: figure title.
    error_max: top of the error colour scale (shared by all maps); default
      the largest error shown.
  """
  columns = max(len(images) for images, _, _ in groups.values())
  errors = {name: np.asarray(maps) for name, (_, _, maps) in groups.items()}
  if error_max is None:
    error_max = max(float(e.max()) for e in errors.values()) or 1.0
  figure, axes = _subplots(3 * len(groups), columns,
                              figsize=(1.3 * columns, 1.35 * 3 * len(groups)),
                              squeeze=False)
  for block, (name, (images, recon, _)) in enumerate(groups.items()):
    for column in range(columns):
      cells = axes[3 * block:3 * block + 3, column]
      for cell in cells:
        cell.set_xticks([])
        cell.set_yticks([])
      if column >= len(images):
        for cell in cells:
          cell.axis('off')
        continue
      for cell, picture in zip(cells[:2], (images[column], recon[column])):
        shown, cmap = _display(picture)
        cell.imshow(shown, cmap=cmap, vmin=0, vmax=1)
      cells[2].imshow(errors[name][column], cmap='inferno', vmin=0,
                      vmax=error_max)
      cells[2].set_xlabel(f'{errors[name][column].mean():.3f}', fontsize=7)
    for row, what in enumerate(('original', 'reconstruction', 'error map')):
      axes[3 * block + row, 0].set_ylabel(f'{name}\n{what}', fontsize=8)
  if title:
    figure.suptitle(title, fontsize=10)
  _save(figure, path)


def roc_curves(path: str, curves: Dict[str, Tuple[np.ndarray, np.ndarray]],
               title: str = ''):
  """ROC curve per class; legend gives each AUROC.

  Args:
    path: PNG to write.
    curves: legend label -> (labels, scores), label 1 = anomaly.
    title: figure title.
  """
  figure, axis = _subplots(figsize=(5.5, 5))
  for name, (labels, scores) in curves.items():
    fpr, tpr, _ = metrics.roc_curve(labels, scores)
    axis.plot(fpr, tpr, lw=1.2,
              label=f'{name} ({metrics.auroc(labels, scores):.1f})')
  axis.plot([0, 1], [0, 1], 'k:', lw=0.8)
  axis.set_xlabel('false positive rate')
  axis.set_ylabel('true positive rate')
  axis.set_xlim(0, 1)
  axis.set_ylim(0, 1.01)
  axis.legend(fontsize=7, loc='lower right', title='class (AUROC %)',
              title_fontsize=7)
  if title:
    axis.set_title(title, fontsize=10)
  _save(figure, path)


def speed_bubbles(path: str, points: Sequence[Tuple[str, Optional[float],
                                                    Optional[float],
                                                    Optional[float]]],
                  title: str = ''):
  """Paper Fig. 2: AUROC vs images/s, bubble area proportional to params.

  Args:
    path: PNG to write.
    points: (label, AUROC %, images/s, parameters) per method; points that
      lack AUROC or speed are listed in a note instead of drawn.
    title: figure title.
  """
  figure, axis = _subplots(figsize=(6.5, 4.5))
  drawn = [p for p in points if p[1] is not None and p[2] is not None]
  missing = [p for p in points if p not in drawn]
  largest = max([p[3] for p in drawn if p[3]] or [1])
  for label, auroc, speed, params in drawn:
    size = 2000.0 * (params or largest * 0.05) / largest
    axis.scatter([speed], [auroc], s=size, alpha=0.45,
                 edgecolors='k' if params else 'none')
    note = f'{label}\n{params / 1000:.0f}K params' if params else (
        f'{label}\n(params not given)')
    # Below the bubble, clear of its edge (scatter size is area in pt^2).
    axis.annotate(note, (speed, auroc), fontsize=7, ha='center', va='top',
                  xytext=(0, -(size ** 0.5) / 2 - 3),
                  textcoords='offset points')
  axis.set_xscale('log')
  speeds = [p[2] for p in drawn]
  if speeds:
    # Room for the largest bubble and its label at both ends of a log axis.
    axis.set_xlim(min(speeds) / 2.5, max(speeds) * 2.5)
  axis.set_xlabel('inference images per second (log scale)')
  axis.set_ylabel('AUROC (%)')
  aurocs = [p[1] for p in drawn]
  if aurocs:
    axis.set_ylim(min(aurocs) - 6, max(aurocs) + 3)
  if missing:
    text = '; '.join(
        f'{label}: ' + ', '.join(
            part for part in (
                f'AUROC {a}' if a is not None else None,
                f'{s:g} img/s' if s is not None else None,
                f'{p / 1000:.0f}K params' if p is not None else None)
            if part) for label, a, s, p in missing)
    figure.text(0.01, -0.02, 'Not drawn (incomplete in the paper\'s text): '
                + text, fontsize=7, wrap=True)
  if title:
    axis.set_title(title, fontsize=10)
  _save(figure, path)
