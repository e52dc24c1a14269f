"""Folder workflows without training: predict_files with a stand-in
detector, the CSV, and train_folder's guard on foreign checkpoints.

train_folder end to end (and the predict CLI) is tested in
test_detector.py with one shared tiny training run.
"""

import json
import os

import numpy as np
import pytest
from PIL import Image

from ganad_tf.errors import OutputError
from ganad_tf.inspection import tiles
from ganad_tf.inspection import workflow
from ganad_tf.inspection.config import InspectionConfig
from ganad_tf.inspection.detector import Detector
from ganad_tf.inspection.settings import DetectorSettings


class _StandIn:
  """What predict_files uses of a Detector; scores = mean pixel / 255."""

  image_shape = (32, 64, 1)
  grid = tiles.make_grid((32, 64), (32, 32))
  settings = DetectorSettings(tile_size=32)
  calibration = {'threshold': 0.5, 'heat_scale': {'low': 0.1, 'high': 1.0}}
  threshold = 0.5

  def infer(self, images, outputs):
    score = images.mean(axis=(1, 2, 3)) / 255
    tile_scores = np.stack([images[:, :, :32].mean(axis=(1, 2, 3)),
                            images[:, :, 32:].mean(axis=(1, 2, 3))], 1)
    out = {'score': score, 'decision': score >= self.threshold,
           'error_map': images[..., 0] / 255.0, 'tile_scores': tile_scores}
    return {key: out[key] for key in outputs}


def _write(path, value, size=(64, 32)):
  os.makedirs(os.path.dirname(path), exist_ok=True)
  Image.new('L', size, value).save(path)
  return path


def test_predict_files_writes_csv_and_overlays_and_skips_bad_files(
    tmp_path):
  root = tmp_path / 'photos'
  paths = [_write(str(root / 'a' / 'dark.png'), 20),
           _write(str(root / 'b' / 'bright.png'), 240),
           _write(str(root / 'wrong_size.png'), 20, (10, 10))]
  (root / 'broken.png').write_bytes(b'not a png')
  paths.append(str(root / 'broken.png'))
  out = tmp_path / 'out'
  summary = workflow.predict_files(_StandIn(), paths, str(out),
                                   root=str(root), chunk=2)
  assert summary['scored'] == 2 and summary['flagged'] == 1
  assert summary['flagged_files'] == [os.path.join('b', 'bright.png')]
  assert sorted(os.path.basename(s['path']) for s in summary['skipped']) == [
      'broken.png', 'wrong_size.png']
  lines = (out / 'predictions.csv').read_text().splitlines()
  assert lines == ['file,score,decision',
                   f'{os.path.join("a", "dark.png")},{20 / 255:.8g},ok',
                   f'{os.path.join("b", "bright.png")},{240 / 255:.8g},'
                   'defect']
  assert sorted(os.listdir(out / 'overlays')) == ['a__dark.png',
                                                  'b__bright.png']
  assert summary['rows'][0]['overlay'] == os.path.join('overlays',
                                                       'a__dark.png')
  bare = workflow.predict_files(_StandIn(), paths[:1], str(tmp_path / 'bare'),
                                overlays=False)
  assert bare['overlays'] is None and 'overlay' not in bare['rows'][0]
  assert not os.path.exists(tmp_path / 'bare' / 'overlays')


def test_predictions_csv_format(tmp_path):
  path = str(tmp_path / 'p.csv')
  workflow.write_predictions_csv(path, [
      {'file': 'x, y.png', 'score': 1 / 3, 'decision': True}])
  assert open(path).read() == ('file,score,decision\n'
                               '"x, y.png",0.33333333,defect\n')


def test_train_folder_refuses_checkpoints_of_another_run(tmp_path):
  data = tmp_path / 'data'
  _write(str(data / 'normal' / 'n.png'), 100)
  output = tmp_path / 'model'
  key = output / workflow.RUNS_DIR / 'run_key.json'
  key.parent.mkdir(parents=True)
  key.write_text(json.dumps({'config': 'another'}))
  with pytest.raises(OutputError, match='--overwrite'):
    workflow.train_folder(str(data), str(output))
  assert json.loads(key.read_text()) == {'config': 'another'}  # kept


def test_the_stand_in_has_only_what_a_detector_has():
  detector = Detector()
  for name in vars(_StandIn):
    if not name.startswith('_'):
      assert hasattr(detector, name), name


def test_the_advice_names_the_command_with_the_classifier():
  assert workflow._with_model_flag(  # pylint: disable=protected-access
      'python -m experiments.train_folder --data_dir=d --model=gan '
      '--output_dir=models/cases/ --epochs=5') == (
          'python -m experiments.train_folder --data_dir=d '
          '--output_dir=models/cases_classifier --epochs=5 '
          '--model=classifier')


def test_a_setting_added_later_keeps_older_runs_resumable(tmp_path):
  data = tmp_path / 'data'
  (data / 'normal').mkdir(parents=True)
  key = workflow.run_key(InspectionConfig(), DetectorSettings(), str(data))
  # At its default it is not in the key, as in runs made before it existed.
  assert 'resize_mode' not in key['settings']
  padded = workflow.run_key(InspectionConfig(),
                            DetectorSettings(resize_mode='pad'), str(data))
  assert padded['settings']['resize_mode'] == 'pad'
