"""Figures of a finished run, from its saved files alone."""

import os

import numpy as np
import pytest

from ganad_tf.benchmark import figure_report
from ganad_tf.benchmark import run_folder


@pytest.mark.slow
def test_figures_from_a_finished_run(finished_run):
  output_dir, _ = finished_run
  written = figure_report.write_run_figures(output_dir, examples=4)
  names = sorted(os.path.basename(p) for p in written)
  assert names == ['reconstructions_class_00.png',
                   'reconstructions_class_07.png', 'roc_curves.png',
                   'speed_bubbles.png']
  for path in written:
    with open(path, 'rb') as handle:
      assert handle.read(8) == b'\x89PNG\r\n\x1a\n'


@pytest.mark.slow
def test_saved_generator_loads(finished_run):
  output_dir, _ = finished_run
  generator = figure_report.load_generator(os.path.join(
      run_folder.class_dir(output_dir, 0), run_folder.GENERATOR_FILE))
  reconstructions, _ = generator(np.zeros((2, 32, 32, 1), np.float32))
  assert tuple(reconstructions.shape) == (2, 32, 32, 1)


def test_pick_examples_covers_every_anomaly_class():
  classes = np.repeat(np.arange(4), 5)
  labels = (classes != 0).astype(int)
  anomalies = figure_report.pick_examples(labels, classes, 6, anomaly=True)
  assert set(classes[anomalies]) == {1, 2, 3}
  normals = figure_report.pick_examples(labels, classes, 3, anomaly=False)
  assert set(classes[normals]) == {0}
