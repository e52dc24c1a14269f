"""Each figure is a real PNG, drawn without pyplot state."""

import numpy as np
import pytest

from ganad_tf.benchmark import figures
from ganad_tf.benchmark import paper

PNG = b'\x89PNG\r\n\x1a\n'


def _is_png(path):
  with open(path, 'rb') as handle:
    return handle.read(8) == PNG


@pytest.mark.parametrize('channels', [1, 3])
def test_reconstruction_grid(tmp_path, rng, channels):
  groups = {}
  for name, count in (('normal', 3), ('anomaly', 2)):
    images = rng.uniform(-1, 1, (count, 8, 8, channels)).astype(np.float32)
    recon = np.clip(images + 0.1, -1, 1)
    groups[name] = (images, recon, np.mean(np.abs(images - recon), axis=-1))
  path = tmp_path / 'grid.png'
  figures.reconstruction_grid(str(path), groups, title='t')
  assert _is_png(path)


def test_display_maps_model_range_to_unit_range():
  shown, cmap = figures._display(np.array([[[-1.0], [1.0]]]))
  np.testing.assert_array_equal(shown, [[0.0, 1.0]])
  assert cmap == 'gray'
  shown, cmap = figures._display(np.zeros((1, 1, 3)))
  assert shown.shape == (1, 1, 3) and cmap is None


def test_roc_curves(tmp_path):
  labels = np.array([0, 0, 1, 1])
  path = tmp_path / 'roc.png'
  figures.roc_curves(str(path), {'a': (labels, np.array([0.1, 0.2, 0.3, 0.4])),
                                 'b': (labels, np.array([0.4, 0.1, 0.3, 0.2]))},
                     title='ROC')
  assert _is_png(path)


@pytest.mark.slow
def test_speed_bubbles_with_the_papers_points(tmp_path):
  path = tmp_path / 'speed.png'
  points = [('ours', 88.0, 900.0, 96_985)] + list(paper.SPEED_POINTS)
  figures.speed_bubbles(str(path), points, title='speed')
  assert _is_png(path)
