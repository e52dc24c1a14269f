"""How much TensorFlow prints: its own log lines only at --verbosity >= 1.

absl's --verbosity (-v) of every entry point is the one switch:

  -v 0 (default)  our progress lines, warnings and results;
  -v 1            also TensorFlow's C++ lines (start-up banners, optimizer
                  warnings), its Python INFO lines (e.g. 'Sharding callback
                  duration' at every checkpoint) and other libraries' INFO
                  and DEBUG lines;
  -v -1           warnings and results only.

A TF_CPP_MIN_LOG_LEVEL set by the user, or --logger_levels (e.g.
absl:INFO,tensorflow:INFO), wins over the default. Only the entry points
(experiments/) and the benchmark's worker processes call this module.

Not silenced: TensorFlow 2.21 on a machine without CUDA drivers logs 'Could
not find cuda drivers' twice while it loads, through C++ absl logging before
absl::InitializeLog, which ignores TF_CPP_MIN_LOG_LEVEL (4 lines a process).
"""

import logging
import os
from typing import Optional, Sequence

# The --verbosity from which TensorFlow's own log lines are shown.
TF_VERBOSITY = 1

_CPP_LEVEL = 'TF_CPP_MIN_LOG_LEVEL'
# Fatal only: on a machine without a GPU even the E lines are chatter
# ('failed call to cuInit'); real failures still raise Python errors.
_QUIET_CPP_LEVEL = '3'
# Carries the parent's --verbosity to spawned worker processes.
_CARRIED = 'GANAD_TF_VERBOSITY'

# TensorFlow's Python code logs through both of these; keras and other
# libraries use absl's too (nothing in ganad_tf does).
_PY_LOGGERS = ('tensorflow', 'absl')

_cpp_level_set_here = False
_py_levels_set_here = set()


def initial_verbosity(argv: Sequence[str]) -> int:
  """--verbosity before absl parses the flags: a worker's parent's, else
  read from `argv` (flag files too); 0 (absl's default) if absent or bad."""
  if _CARRIED in os.environ:
    return int(os.environ[_CARRIED])
  from absl import flags
  values = flags.FlagValues()
  flags.DEFINE_integer('verbosity', 0, 'absl --verbosity.', short_name='v',
                       flag_values=values)
  values.set_gnu_getopt(True)  # look past other flags' values
  try:
    values(list(argv), known_only=True)
  except flags.Error:
    return 0  # absl reports a bad command line itself, after parsing it
  return values['verbosity'].value


def quiet_tensorflow_cpp(verbosity: int) -> None:
  """Below TF_VERBOSITY, sets TF_CPP_MIN_LOG_LEVEL unless the user did.

  TensorFlow reads the variable once, when it loads, so this only acts
  before the first `import tensorflow`; spawned workers inherit it.
  """
  global _cpp_level_set_here
  if verbosity < TF_VERBOSITY:
    if _CPP_LEVEL not in os.environ:
      os.environ[_CPP_LEVEL] = _QUIET_CPP_LEVEL
      _cpp_level_set_here = True
  elif _cpp_level_set_here:
    # An earlier guess from the command line was wrong (absl parsed a
    # higher --verbosity); TensorFlow may not have loaded yet.
    del os.environ[_CPP_LEVEL]
    _cpp_level_set_here = False


def configure(verbosity: Optional[int] = None) -> None:
  """Sets how much TensorFlow logs in this process and its workers.

  Args:
    verbosity: absl's --verbosity; None (in a worker process) takes the one
      its parent passed on.
  """
  if verbosity is None:
    verbosity = int(os.environ.get(_CARRIED, '0'))
  os.environ[_CARRIED] = str(verbosity)
  quiet_tensorflow_cpp(verbosity)
  for name in _PY_LOGGERS:
    logger = logging.getLogger(name)
    if verbosity >= TF_VERBOSITY:
      if name in _py_levels_set_here:
        logger.setLevel(logging.NOTSET)
        _py_levels_set_here.discard(name)
    elif logger.level == logging.NOTSET:
      # A level set already came from --logger_levels (or the caller).
      logger.setLevel(logging.WARNING)
      _py_levels_set_here.add(name)
