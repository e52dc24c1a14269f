"""Process-wide TensorFlow settings, made once by an entry point.

Library code never changes global state; `experiments/*` (and the benchmark's
worker processes) call `choose_onednn` before TensorFlow loads and
`configure` before building any model. This module imports TensorFlow only
inside functions, so importing it does not load TensorFlow.

oneDNN policy: off, unless TF_ENABLE_ONEDNN_OPTS says otherwise. TensorFlow
turns its oneDNN kernels on by default on Intel CPUs with AVX-512 VNNI or
AMX and leaves them off on others (AMD). For this package's small networks
oneDNN is 1.6-3.6x slower at the paper's batch 1, and at batch 16 it is
faster only in one-thread processes (1.1-1.2x, as --jobs runs them) and as
much slower in one two-thread process; measured on an Intel Xeon in
results/speed/onednn/. So entry points turn it off: one set of kernels on
every x86 CPU, the speed of the AMD default, and no start-up line. A
TF_ENABLE_ONEDNN_OPTS set by the user always wins. The setting changes
float summation order, so results differ slightly between the two settings
(README, Determinism).
"""

import os
import platform
import sys
from typing import Any, Dict, Optional

ONEDNN_VARIABLE = 'TF_ENABLE_ONEDNN_OPTS'
# The policy's value of ONEDNN_VARIABLE (see the module docstring).
ONEDNN_POLICY = '0'

# The value this process started with: the user's, or one passed on by the
# process that started it. It always wins over the policy.
_STARTING_ONEDNN = os.environ.get(ONEDNN_VARIABLE)


def onednn_value() -> str:
  """TF_ENABLE_ONEDNN_OPTS for this process and those it starts: the value
  this process started with if any, else the policy's."""
  return ONEDNN_POLICY if _STARTING_ONEDNN is None else _STARTING_ONEDNN


def choose_onednn() -> Optional[str]:
  """Sets TF_ENABLE_ONEDNN_OPTS to `onednn_value()` unless it is set.

  TensorFlow reads the variable once, when it loads, so this acts only
  before the first `import tensorflow`; spawned worker processes inherit
  the value.

  Returns:
    The variable's value now, or None if TensorFlow had loaded without it
    (its own default then applies).
  """
  if ONEDNN_VARIABLE not in os.environ and 'tensorflow' not in sys.modules:
    os.environ[ONEDNN_VARIABLE] = onednn_value()
  return os.environ.get(ONEDNN_VARIABLE)


def onednn_enabled() -> Optional[bool]:
  """Whether TensorFlow in this process runs oneDNN kernels (loads TF).

  None if this TensorFlow build cannot say (the answer is private API).
  """
  import tensorflow  # pylint: disable=unused-import,g-import-not-at-top
  try:
    from tensorflow.python.util import _pywrap_util_port  # pylint: disable=g-direct-tensorflow-import,g-import-not-at-top
    return bool(_pywrap_util_port.IsMklEnabled())
  except (ImportError, AttributeError):
    return None


def cpu_model() -> str:
  """The CPU's model name (/proc/cpuinfo on Linux), else the platform's."""
  try:
    with open('/proc/cpuinfo', encoding='utf-8') as handle:
      for line in handle:
        if line.startswith('model name'):
          return line.split(':', 1)[1].strip()
  except OSError:
    pass
  return platform.processor() or platform.machine()


def numerics() -> Dict[str, Any]:
  """What decides float summation order here, recorded beside results."""
  return {'cpu_model': cpu_model(), 'onednn': onednn_enabled(),
          ONEDNN_VARIABLE: os.environ.get(ONEDNN_VARIABLE)}


def configure(deterministic_ops: bool = True,
              threads: Optional[int] = None) -> None:
  """Op determinism and thread counts for this process.

  Args:
    deterministic_ops: TensorFlow op determinism, so that equal seeds give
      bit-identical runs on the same machine, thread count and oneDNN
      setting.
    threads: intra- and inter-op threads; None leaves TensorFlow's default
      (all cores). Thread counts can only be set before TensorFlow runs its
      first op; later calls leave them as they are.
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  if deterministic_ops:
    tf.config.experimental.enable_op_determinism()
  if threads:
    try:
      tf.config.threading.set_intra_op_parallelism_threads(threads)
      tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:
      pass  # TensorFlow already started; its threads are fixed now.


def cpu_count() -> int:
  """Cores this process may use (the affinity mask, not the machine)."""
  try:
    return len(os.sched_getaffinity(0))
  except AttributeError:  # not Linux
    return os.cpu_count() or 1
