"""Image sizes as flags spell them: 'WIDTHxHEIGHT' or one number.

Used by folder reading (--resize_to) and by tiling (--tile_size,
--tile_stride); sizes are (height, width) tuples in code.
"""

import re
from typing import Optional, Sequence, Tuple, Union

import numpy as np

from ganad_tf.errors import ConfigError

Size = Tuple[int, int]  # (height, width)
_SIZE_TEXT = re.compile(r'^\s*(\d+)\s*(?:[xX*]\s*(\d+))?\s*$')


def parse_size(text: Union[None, str, int, Sequence[int]],
               what: str = 'size') -> Optional[Size]:
  """Parses 'WIDTHxHEIGHT' or 'N' (square) into (height, width).

  Args:
    text: '548x500', '100', an int, a (height, width) pair, or None/''.
    what: the flag or argument name, for error messages.

  Returns:
    (height, width), or None for None or ''.

  Raises:
    ConfigError: not a size, or a side < 1.
  """
  if text is None or (isinstance(text, str) and not text.strip()):
    return None
  if isinstance(text, (int, np.integer)) and not isinstance(text, bool):
    size = (int(text), int(text))
  elif isinstance(text, (tuple, list)) and len(text) == 2:
    size = (int(text[0]), int(text[1]))
  else:
    match = _SIZE_TEXT.match(str(text))
    if not match:
      raise ConfigError(f'{what}={text!r} is not a size; write WIDTHxHEIGHT '
                        'in pixels (e.g. 548x500) or one number for a '
                        'square (e.g. 100).')
    width = int(match.group(1))
    height = int(match.group(2) or width)
    size = (height, width)
  if min(size) < 1:
    raise ConfigError(f'{what}={text!r} must be at least 1x1 pixels.')
  return size


def format_size(size: Optional[Size]) -> Optional[str]:
  """(height, width) -> 'WIDTHxHEIGHT', the flag spelling."""
  return None if size is None else f'{size[1]}x{size[0]}'
