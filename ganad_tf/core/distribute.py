"""tf.distribute strategies for the training step.

'mirrored' uses every local GPU (or the CPU), 'multi_worker' every worker
named in the TF_CONFIG environment variable (each worker runs the same
command; the chief writes checkpoints and results).
"""

import json
import os
from typing import Optional

from ganad_tf.errors import ConfigError

STRATEGIES = ('none', 'mirrored', 'multi_worker')


def make_strategy(name: str):
  """Returns a strategy for `name`, or None for the default single device."""
  import tensorflow as tf
  if name == 'none':
    return None
  if name == 'mirrored':
    return tf.distribute.MirroredStrategy()
  if name == 'multi_worker':
    if 'TF_CONFIG' not in os.environ:
      raise ConfigError('--strategy=multi_worker needs the TF_CONFIG '
                        'environment variable naming the cluster and this '
                        'worker (see the README); it is not set.')
    try:
      json.loads(os.environ['TF_CONFIG'])
    except ValueError as error:
      raise ConfigError(f'TF_CONFIG is not valid JSON: {error}.') from error
    return tf.distribute.MultiWorkerMirroredStrategy()
  raise ConfigError(f'Unknown strategy {name!r}; choose one of {STRATEGIES}.')


def is_chief(strategy: Optional[object]) -> bool:
  """False only on non-chief workers of a multi-worker strategy."""
  resolver = getattr(strategy, 'cluster_resolver', None)
  task_type = getattr(resolver, 'task_type', None)
  if not task_type or task_type == 'chief':
    return True
  has_chief = 'chief' in resolver.cluster_spec().as_dict()
  return (task_type == 'worker' and not has_chief and
          int(resolver.task_id or 0) == 0)


def task_id(strategy: Optional[object]) -> int:
  resolver = getattr(strategy, 'cluster_resolver', None)
  return int(getattr(resolver, 'task_id', 0) or 0)
