"""DetectorSettings: parsing, validation naming the flag, dict round trip."""

import dataclasses

import pytest

from ganad_tf.data import sizes
from ganad_tf.errors import ConfigError
from ganad_tf.inspection.settings import (ANOMALY_TILE_CHOICES,
                                          DEFECT_CROP_CHOICES,
                                          DetectorSettings)


def test_sizes_are_parsed_as_width_x_height():
  settings = DetectorSettings(tile_size='548x500', tile_stride=50,
                              resize_to='2192x1000')
  assert settings.tile_size == (500, 548)
  assert settings.tile_stride == (50, 50)
  assert sizes.format_size(settings.resize_to) == '2192x1000'
  with pytest.raises(ConfigError, match='WIDTHxHEIGHT'):
    DetectorSettings(tile_size='big')


def test_channels_accept_flag_strings():
  assert DetectorSettings(channels='3').channels == 3
  assert DetectorSettings().channels == 'auto'


@pytest.mark.parametrize('field, value, flag', [
    ('anomaly_tiles', 'guess', '--anomaly_tiles'),
    ('defect_crops', 'random', '--defect_crops'),
    ('stitch', 'median', '--stitch'),
    ('resize_mode', 'crop', '--resize_mode'),
    ('tiles_per_defect_image', 0, '--tiles_per_defect_image'),
    ('selection_epochs', 1.5, '--selection_epochs'),
    ('max_normal_tiles', -1, '--max_normal_tiles'),
    ('min_mask_share', 1.5, '--min_mask_share'),
    ('normal_ratio', 0.0, '--normal_ratio'),
    ('target_fpr', 1.5, '--target_fpr')])
def test_validate_names_the_bad_setting_and_its_flag(field, value, flag):
  settings = dataclasses.replace(DetectorSettings(), **{field: value})
  with pytest.raises(ConfigError, match=flag):
    settings.validate()


def test_defaults_are_valid_and_choices_are_listed():
  DetectorSettings().validate()
  assert DetectorSettings().anomaly_tiles in ANOMALY_TILE_CHOICES
  assert DetectorSettings().defect_crops in DEFECT_CROP_CHOICES
  assert DetectorSettings().center_tiles  # our design; off = the paper


def test_dict_round_trip_is_json_friendly():
  settings = DetectorSettings(tile_size='548x500', resize_to='2192x1000',
                              target_fpr=0.01, stitch='max')
  values = settings.to_dict()
  assert values['tile_size'] == [500, 548]  # lists, as JSON stores them
  assert DetectorSettings.from_dict(values) == settings
