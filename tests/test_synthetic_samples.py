"""Tests for ganad_tf.data.synthetic.samples: rendering images of a set."""

import numpy as np
import pytest

from conftest import small_synthetic
from ganad_tf.data.synthetic import samples
from ganad_tf.data.synthetic.config import DEFECT_KINDS, SyntheticConfig
from ganad_tf.errors import ConfigError


def test_different_seed_gives_different_images():
  a, _, _ = samples.generate_arrays(small_synthetic(seed=1))
  b, _, _ = samples.generate_arrays(small_synthetic(seed=2))
  for image_a, image_b in zip(a, b):
    assert not np.array_equal(image_a, image_b)


def test_image_does_not_depend_on_other_counts():
  few = samples.render_sample(small_synthetic(), 'stain', 1)[0]
  other = small_synthetic(counts={'normal': 50, 'stain': 2})
  assert np.array_equal(few, samples.render_sample(other, 'stain', 1)[0])


def test_masks_are_non_empty_for_defects_only_and_small():
  config = small_synthetic(counts={'normal': 4, 'scratch': 6, 'stamped': 6,
                                   'stain': 6})
  _, kinds, masks = samples.generate_arrays(config)
  for kind, mask in zip(kinds, masks):
    if kind == 'normal':
      assert not mask.any()
    else:
      assert mask.any(), kind
      assert mask.mean() < 0.02, (kind, mask.mean())


def test_defects_are_tiny_at_paper_size():
  config = SyntheticConfig()
  for kind in DEFECT_KINDS:
    _, mask, defects = samples.render_sample(config, kind, 0)
    assert 0 < mask.mean() < 0.015, (kind, mask.mean())
    assert defects


@pytest.mark.parametrize('kind', DEFECT_KINDS)
def test_sample_without_defects_is_its_clean_surface(kind):
  config = small_synthetic()
  for index in range(3):
    image, mask, _ = samples.render_sample(config, kind, index)
    clean, clean_mask, defects = samples.render_sample(
        config, kind, index, with_defects=False)
    assert not clean_mask.any() and defects == []
    diff = np.abs(image.astype(np.float32) - clean)[..., 0]
    assert diff[mask].mean() > 3 * max(diff[~mask].mean(), 0.05)
    assert diff[~mask].mean() < 0.3


def test_plan_orders_by_kind_then_index():
  config = small_synthetic(counts={'stain': 2, 'normal': 1})
  assert samples.image_plan(config) == [('normal', 0), ('stain', 0),
                                        ('stain', 1)]


def test_unknown_kind():
  with pytest.raises(ConfigError, match='crack'):
    samples.render_sample(small_synthetic(), 'crack', 0)
