"""The inference graph and its batches, with an untrained generator.

The graph's arithmetic does not depend on training, so a freshly built
generator checks it without the seconds a Trainer costs.
"""

import numpy as np
import pytest
import tensorflow as tf

from ganad_tf.core import models
from ganad_tf.core import scoring
from ganad_tf.inspection import inference
from ganad_tf.inspection import tiles

SHAPE = (64, 96, 1)  # image (H, W, C)


@pytest.fixture(scope='module')
def generator():
  tf.keras.utils.set_random_seed(7)
  return models.build_generator((32, 32, 1), 8, 'instance')


@pytest.fixture(scope='module')
def images():
  rng = np.random.default_rng(0)
  return rng.integers(0, 256, (5,) + SHAPE, dtype=np.uint8)


def _module(generator, centred=True, threshold=0.3, stitch='mean'):
  grid = tiles.make_grid(SHAPE[:2], (32, 32), (32, 32))
  return inference.InferenceModule(generator, SHAPE, grid, 32, 'l1', 16, 8,
                                   stitch, threshold, centred)


@pytest.mark.parametrize('centred', [True, False])
def test_image_score_is_the_max_of_its_tile_scores(generator, images,
                                                   centred):
  module = _module(generator, centred)
  out = module.infer(tf.constant(images.astype(np.float32)))
  grid = tiles.make_grid(SHAPE[:2], (32, 32))
  assert grid.num_tiles == 2 * 3
  expected_scores, expected_heat = [], []
  for image in images.astype(np.float32) / 127.5 - 1:
    cut = np.stack([image[y0:y1, x0:x1] for y0, x0, y1, x1 in grid.boxes()])
    if centred:
      cut = np.clip(cut - cut.mean(axis=(1, 2, 3), keepdims=True), -1, 1)
    reconstructions, _ = generator(cut, training=False)
    scores = scoring.score_batch(cut, reconstructions, 'l1').numpy()
    expected_scores.append(scores.max())
    expected_heat.append(tiles.stitch(
        scoring.error_map(cut, reconstructions), grid).numpy()[0])
  np.testing.assert_allclose(out['score'], expected_scores, rtol=1e-5)
  np.testing.assert_allclose(out['tile_scores'].numpy().max(axis=1),
                             out['score'].numpy())
  np.testing.assert_allclose(out['error_map'], expected_heat, rtol=1e-4,
                             atol=1e-6)
  np.testing.assert_array_equal(out['decision'], out['score'] >= 0.3)


def test_serving_uint8_equals_inferring_float_pixels(generator, images):
  module = _module(generator)
  served = module.serve(tf.constant(images))
  inferred = module.infer(tf.constant(images.astype(np.float32)))
  for key in inference.OUTPUTS:
    np.testing.assert_array_equal(served[key], inferred[key])


def test_the_threshold_is_a_variable_of_the_graph(generator, images):
  module = _module(generator)
  scores = inference.call(module, images, ('score',))['score']
  module.threshold.assign(float(np.median(scores)))
  decisions = inference.call(module, images, ('decision',))['decision']
  np.testing.assert_array_equal(decisions, scores >= np.median(scores))


def test_batched_calls_equal_one_call(generator, images):
  module = _module(generator, stitch='max')
  whole = inference.call(module, images, inference.OUTPUTS)
  batched = inference.run_batched(module, images, 2, inference.OUTPUTS)
  for key in inference.OUTPUTS:
    np.testing.assert_allclose(batched[key], whole[key], rtol=1e-6)
  starts = [start for start, _ in inference.batches(module, images, 2,
                                                    ('score',))]
  assert starts == [0, 2, 4]
  empty = inference.run_batched(module, images[:0], 2,
                                ('score', 'error_map', 'tile_scores'))
  assert empty['score'].shape == (0,)
  assert empty['error_map'].shape == (0, 64, 96)
  assert empty['tile_scores'].shape == (0, 6)


def test_images_per_call_keeps_about_a_batch_of_tiles():
  assert inference.images_per_call(500, 10) == 50
  assert inference.images_per_call(8, 10) == 1
