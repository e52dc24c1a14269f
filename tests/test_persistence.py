"""Model folders and SavedModel exports, with an untrained generator."""

import json
import os

import numpy as np
import pytest
import tensorflow as tf

from ganad_tf import io_utils
from ganad_tf.benchmark.config import BenchmarkConfig
from ganad_tf.core import config as config_lib
from ganad_tf.core import models
from ganad_tf.errors import ConfigError
from ganad_tf.inspection import inference
from ganad_tf.inspection import persistence
from ganad_tf.inspection import tiles
from ganad_tf.inspection.config import InspectionConfig
from ganad_tf.inspection.detector import Detector
from ganad_tf.inspection.settings import DetectorSettings

SHAPE = (64, 96, 1)
GRID = tiles.make_grid(SHAPE[:2], (32, 32), (32, 32))
CONFIG = config_lib.replace(InspectionConfig(), data={'image_size': 32})
SETTINGS = DetectorSettings(tile_size=32)


@pytest.fixture(scope='module')
def generator():
  tf.keras.utils.set_random_seed(3)
  return models.build_generator((32, 32, 1), 8, 'instance')


def _state(**calibration):
  return persistence.detector_state(
      SHAPE, 32, GRID, calibration.get('threshold', float('inf')),
      calibration, SETTINGS, CONFIG, {'steps': 1})


def test_saved_folder_loads_back(generator, tmp_path):
  persistence.save(str(tmp_path), generator, _state(threshold=0.25))
  state = io_utils.read_json(str(tmp_path / persistence.DETECTOR_FILE))
  assert state['format_version'] == persistence.FORMAT_VERSION
  assert state['grid'] == {'image_size': [64, 96], 'tile_size': [32, 32],
                           'rows': [0, 32], 'cols': [0, 32, 64]}
  saved = persistence.load(str(tmp_path))
  assert saved.config == CONFIG and saved.settings == SETTINGS
  assert saved.image_shape == SHAPE and saved.training == {'steps': 1}
  assert saved.calibration == {'threshold': 0.25}
  for mine, theirs in zip(generator.get_weights(),
                          saved.model.get_weights()):
    np.testing.assert_array_equal(mine, theirs)


def test_detectors_saved_before_the_config_split_still_load(generator,
                                                            tmp_path):
  # detector.json as written before `center_tiles` existed and before the
  # inspection config left the benchmark config (format version 1).
  state = _state(threshold=0.5)
  old_config = BenchmarkConfig().to_dict()
  for name in config_lib.OMITTED_AT_DEFAULT['data']:
    del old_config['data'][name]  # added to the benchmark's config later
  old_config['data'].update(dataset='folder', image_size=32,
                            validation_fraction=0.2)
  state['config'] = old_config
  del state['settings']['center_tiles']
  persistence.save(str(tmp_path), generator, state)
  detector = Detector.load(str(tmp_path))
  assert detector.config == CONFIG
  assert detector.settings.center_tiles is False  # what they were run with
  assert detector.threshold == 0.5 and detector.grid == GRID
  images = np.zeros((2,) + SHAPE, np.uint8)
  assert detector.score(images).shape == (2,)


def test_load_errors_say_what_is_wrong(generator, tmp_path):
  with pytest.raises(ConfigError, match='not a saved detector'):
    persistence.load(str(tmp_path))
  persistence.save(str(tmp_path), generator, _state())
  path = tmp_path / persistence.DETECTOR_FILE
  state = json.loads(path.read_text())
  path.write_text(json.dumps(dict(state, format_version=2)))
  with pytest.raises(ConfigError, match='format version 2'):
    persistence.load(str(tmp_path))
  path.write_text('{"format_version": ')
  with pytest.raises(ConfigError, match='corrupt'):
    persistence.load(str(tmp_path))


@pytest.mark.slow
def test_export_serves_the_graph_and_replaces_an_old_export(generator,
                                                            tmp_path):
  module = inference.InferenceModule(generator, SHAPE, GRID, 32, 'l1', 16, 8,
                                     'mean', 0.2, True)
  info = persistence.serving_info(SHAPE, GRID.num_tiles, 0.2, {}, (64, 96))
  assert info['input']['shape'] == [None, 64, 96, 1]
  assert 'resize photos to 96x64' in info['input']['note']
  assert info['outputs']['tile_scores'] == 'float32 [batch, 6]'
  target = str(tmp_path / 'export')
  os.makedirs(target)
  (tmp_path / 'export' / 'stale.txt').write_text('old export')
  assert persistence.export(module, target, info) == target
  assert sorted(os.listdir(tmp_path)) == ['export']  # no staging left
  assert not os.path.exists(os.path.join(target, 'stale.txt'))
  assert io_utils.read_json(os.path.join(
      target, persistence.SERVING_INFO_FILE)) == info
  images = np.random.default_rng(0).integers(0, 256, (3,) + SHAPE,
                                             dtype=np.uint8)
  served = tf.saved_model.load(target).signatures['serving_default'](
      images=tf.constant(images))
  expected = module.serve(tf.constant(images))
  for key in inference.OUTPUTS:
    np.testing.assert_allclose(served[key], expected[key], rtol=1e-6)
