"""Image sizes as flags spell them."""

import pytest

from ganad_tf.data import sizes
from ganad_tf.errors import ConfigError


def test_parse_size():
  assert sizes.parse_size('548x500') == (500, 548)  # (height, width)
  assert sizes.parse_size('100') == (100, 100)
  assert sizes.parse_size(64) == (64, 64)
  assert sizes.parse_size(None) is None and sizes.parse_size('') is None
  assert sizes.format_size((500, 548)) == '548x500'
  for bad in ('big', '0x10', '10x'):
    with pytest.raises(ConfigError, match='WIDTHxHEIGHT|at least'):
      sizes.parse_size(bad)
