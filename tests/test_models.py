"""Shapes and exact parameter counts of the networks (paper Sec. 3.3)."""

import keras
import numpy as np
import pytest

from ganad_tf.core import models
from ganad_tf.benchmark import paper
from ganad_tf.errors import ConfigError

# The paper's per-layer counts, 0.38K ... 0.77K, to the parameter.
PAPER_GENERATOR_LAYERS = [392, 2080, 8256, 32896, 32832, 16416, 4112, 771]
PAPER_DISCRIMINATOR_LAYERS = [392, 2080, 8256, 32896, 32768]


def _block_counts(model):
  """Trainable parameters per block ('enc1', 'dec2', 'disc5', ...)."""
  counts = {}
  for layer in model.layers:
    if isinstance(layer, keras.Model):
      counts.update(_block_counts(layer))
      continue
    block = layer.name.split('_')[0]
    weights = sum(int(np.prod(w.shape)) for w in layer.trainable_weights)
    if weights:
      counts[block] = counts.get(block, 0) + weights
  return counts


def test_generator_matches_paper_per_layer_counts():
  generator = models.build_generator((32, 32, 3))
  counts = _block_counts(generator)
  order = ['enc1', 'enc2', 'enc3', 'enc4', 'dec1', 'dec2', 'dec3', 'dec4']
  assert [counts[block] for block in order] == PAPER_GENERATOR_LAYERS
  assert models.count_trainable_params(generator) == 97_755


def test_discriminator_matches_paper_per_layer_counts():
  discriminator = models.build_discriminator((32, 32, 3))
  counts = _block_counts(discriminator)
  assert [counts[f'disc{i}'] for i in range(1, 6)] == PAPER_DISCRIMINATOR_LAYERS
  assert models.count_trainable_params(discriminator) == 76_392


@pytest.mark.parametrize('norm', ['instance', 'batch', 'none'])
def test_counts_within_five_percent_of_paper(norm):
  generator = models.build_generator((32, 32, 3), norm=norm)
  discriminator = models.build_discriminator((32, 32, 3), norm=norm)
  assert abs(models.count_trainable_params(generator) /
             paper.GENERATOR_PARAMS - 1) < 0.05
  assert abs(models.count_trainable_params(discriminator) /
             paper.DISCRIMINATOR_PARAMS - 1) < 0.05


def test_grayscale_counts():
  # 3 -> 1 input channel removes 4*4*2*8 weights in the first layer and
  # 4*4*16*2 + 2 in the last.
  generator = models.build_generator((32, 32, 1))
  assert models.count_trainable_params(generator) == 97_755 - 256 - 514
  discriminator = models.build_discriminator((32, 32, 1))
  assert models.count_trainable_params(discriminator) == 76_392 - 256


@pytest.mark.parametrize('shape,latent,patch_map', [
    ((32, 32, 1), (2, 2, 64), (4, 4, 32)),
    ((32, 32, 3), (2, 2, 64), (4, 4, 32)),
    ((128, 128, 3), (8, 8, 64), (16, 16, 32)),
    ((128, 128, 1), (8, 8, 64), (16, 16, 32)),
])
def test_output_shapes(shape, latent, patch_map):
  generator = models.build_generator(shape)
  discriminator = models.build_discriminator(shape)
  images = np.random.default_rng(0).uniform(-1, 1, (2,) + shape)
  reconstruction, code = generator(images.astype(np.float32))
  assert reconstruction.shape == (2,) + shape
  assert code.shape == (2,) + latent
  assert discriminator(images.astype(np.float32)).shape == (2,) + patch_map
  # tanh output stays in the image range.
  assert np.abs(keras.ops.convert_to_numpy(reconstruction)).max() <= 1.0


def test_latent_encoder_is_the_generators_encoder():
  generator = models.build_generator((32, 32, 1))
  encoder = models.latent_encoder(generator)
  images = np.random.default_rng(1).uniform(-1, 1, (3, 32, 32, 1)).astype(
      np.float32)
  _, code = generator(images)
  np.testing.assert_allclose(encoder(images), code, rtol=1e-5, atol=1e-6)
  # Shared weights, not a copy.
  assert encoder.trainable_weights[0] is generator.get_layer(
      'encoder').trainable_weights[0]


def test_instance_norm_standardises_each_channel_of_each_image():
  layer = models.InstanceNormalization()
  images = np.random.default_rng(2).normal(3.0, 5.0, (2, 8, 8, 4)).astype(
      np.float32)
  out = keras.ops.convert_to_numpy(layer(images))
  np.testing.assert_allclose(out.mean(axis=(1, 2)), 0, atol=1e-4)
  np.testing.assert_allclose(out.std(axis=(1, 2)), 1, atol=1e-3)


@pytest.mark.parametrize('shape', [(30, 30, 1), (32, 24, 3), (8, 8, 1),
                                   (32, 32)])
def test_bad_input_shape_names_the_fix(shape):
  with pytest.raises(ConfigError, match='multiple of 16|height, width'):
    models.build_generator(shape)


def test_normal_init_draws_kernels_with_stddev_002():
  generator = models.build_generator((32, 32, 3))
  glorot = models.initial_weights(generator, seed=0)
  normal = models.initial_weights(generator, seed=0, init='normal')
  kernels = [w for w, v in zip(normal, generator.weights)
             if v.path.endswith('kernel')]
  drawn = np.concatenate([k.ravel() for k in kernels])
  assert abs(drawn.std() - models.NORMAL_INIT_STDDEV) < 0.001
  assert abs(drawn.mean()) < 0.001
  # Scales, offsets and biases are the same under both.
  for w, g, v in zip(normal, glorot, generator.weights):
    if not v.path.endswith('kernel'):
      np.testing.assert_array_equal(w, g)
  with pytest.raises(ConfigError, match='Unknown init'):
    models.initial_weights(generator, seed=0, init='orthogonal')
