"""Tests for ganad_tf.data.synthetic.surface: the brushed-metal renderer."""

import numpy as np
import pytest

from ganad_tf.data.synthetic import surface
from ganad_tf.errors import ConfigError


def test_surface_looks_like_metal_and_varies():
  rng = np.random.default_rng(0)
  a = surface.render_surface(rng, 128, 256, 1)
  b = surface.render_surface(rng, 128, 256, 1)
  assert a.shape == (128, 256, 1) and a.dtype == np.uint8
  assert not np.array_equal(a, b)
  for image in (a, b):
    values = image[..., 0].astype(np.float32)
    assert 60 < values.mean() < 200 and 2 < values.std() < 30
    # Brushed grain: neighbours along the grain agree far more than across.
    along = np.abs(np.diff(values, axis=1)).mean()
    across = np.abs(np.diff(values, axis=0)).mean()
    assert across > 1.5 * along


def test_colour_surface_is_a_slight_tint():
  image = surface.render_surface(np.random.default_rng(3), 128, 256, 3)
  assert image.shape == (128, 256, 3)
  means = image.reshape(-1, 3).mean(axis=0)
  assert np.ptp(means) < 0.1 * means.mean()


def test_same_stream_gives_the_same_surface():
  a = surface.render_surface(np.random.default_rng(4), 64, 96, 3)
  b = surface.render_surface(np.random.default_rng(4), 64, 96, 3)
  assert np.array_equal(a, b)


@pytest.mark.parametrize('args,match', [((64, 64, 2), 'channels'),
                                        ((16, 64, 1), 'too small')])
def test_bad_arguments_raise_config_error(args, match):
  with pytest.raises(ConfigError, match=match):
    surface.render_surface(np.random.default_rng(0), *args)


def test_to_uint8_rounds_and_clips():
  values = np.array([-3.0, 0.4, 0.6, 254.6, 300.0], np.float32)
  np.testing.assert_array_equal(surface.to_uint8(values),
                                [0, 0, 1, 255, 255])
