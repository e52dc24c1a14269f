"""Tests for ganad_tf.data.synthetic.config: SyntheticConfig validation."""

import pytest

from conftest import small_synthetic
from ganad_tf.data.synthetic import samples
from ganad_tf.data.synthetic import writer
from ganad_tf.data.synthetic.config import SyntheticConfig
from ganad_tf.data.synthetic.config import is_whole_number
from ganad_tf.errors import ConfigError


def test_default_counts_are_imbalanced():
  counts = SyntheticConfig().counts
  assert counts['normal'] > counts['scratch'] > counts['stamped'] > (
      counts['stain']) > 0


@pytest.mark.parametrize('overrides, words', [
    (dict(counts={'normal': -1, 'scratch': 2}), 'counts'),
    (dict(counts={'normal': 0, 'scratch': 0}), 'nothing'),
    (dict(counts={'normal': 2, 'crack': 1}), 'crack'),
    (dict(counts={'normal': 1.5}), 'whole number'),
    (dict(width=0), 'width'),
    (dict(height=0), 'height'),
    (dict(channels=2), 'channels'),
    (dict(seed=-1), 'seed'),
    (dict(scratch_length=(50.0, 10.0)), 'scratch_length'),
    (dict(stain_diameter=(0.0, 10.0)), 'stain_diameter'),
    (dict(stain_diameter=(20.0, 900.0)), 'fit'),
    (dict(second_defect_prob=1.5), 'second_defect_prob'),
])
def test_bad_config_raises_config_error(overrides, words, tmp_path):
  config = small_synthetic(**overrides)
  with pytest.raises(ConfigError, match=words):
    config.validate()
  with pytest.raises(ConfigError):
    writer.generate_dataset(str(tmp_path / 'out'), config)
  with pytest.raises(ConfigError):
    samples.generate_arrays(config)


def test_dict_round_trip_and_scale():
  config = small_synthetic(scratch_width=(1.5, 3.0))
  values = config.to_dict()
  # Lists, as JSON gives them back, and every kind counted.
  assert values['scratch_width'] == [1.5, 3.0]
  assert set(values['counts']) == {'normal', 'scratch', 'stamped', 'stain'}
  assert SyntheticConfig.from_dict(values) == config
  assert config.scale == 256 / 2192
  assert config.total() == 9
  with pytest.raises(ConfigError, match='colour'):
    SyntheticConfig.from_dict({'colour': 1})


def test_is_whole_number():
  import numpy as np
  assert is_whole_number(3) and is_whole_number(np.int64(3))
  assert not is_whole_number(True)
  assert not is_whole_number(3.0)
