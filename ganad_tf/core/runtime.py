"""Process-wide TensorFlow settings, made once by an entry point.

Library code never changes global state; `experiments/*` (and the benchmark's
worker processes) call `configure` before building any model.
"""

import os
from typing import Optional


def configure(deterministic_ops: bool = True,
              threads: Optional[int] = None) -> None:
  """Op determinism and thread counts for this process.

  Args:
    deterministic_ops: TensorFlow op determinism, so that equal seeds give
      bit-identical runs on the same machine and thread count.
    threads: intra- and inter-op threads; None leaves TensorFlow's default
      (all cores). Thread counts can only be set before TensorFlow runs its
      first op; later calls leave them as they are.
  """
  import tensorflow as tf
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
