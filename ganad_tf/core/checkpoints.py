"""Checkpoints that survive a killed process and a damaged file.

One `tf.train.CheckpointManager` per run folder. `open_and_restore` falls
back to an older checkpoint when the newest cannot be read (a process
killed while writing, a truncated copy), renaming the bad one aside so that
no file is lost and the next run does not trip over it again.
"""

import logging
import os
from typing import Optional, Tuple

import tensorflow as tf

from ganad_tf import io_utils
from ganad_tf.errors import CheckpointError

logger = logging.getLogger('ganad_tf')
MAX_TO_KEEP = 3


def open_and_restore(checkpoint: tf.train.Checkpoint, folder: str,
                     log_prefix: str = ''
                     ) -> Tuple[tf.train.CheckpointManager, Optional[str]]:
  """A manager for `folder`, after restoring its newest readable checkpoint.

  Returns:
    (manager, path of the restored checkpoint or None if there was none).

  Raises:
    CheckpointError: checkpoints exist but none of them can be read.
  """
  checkpoints = tf.train.CheckpointManager(checkpoint, folder,
                                           max_to_keep=MAX_TO_KEEP)
  paths = list(checkpoints.checkpoints)
  for index in reversed(range(len(paths))):
    path = paths[index]
    try:
      checkpoint.restore(path).assert_existing_objects_matched()
    except Exception as error:  # pylint: disable=broad-except
      # Truncated files raise OpError, IndexError or ValueError depending
      # on where the damage is; any failure means this one is unusable.
      logger.warning('%sCheckpoint %s cannot be read (%s); falling back to '
                     'the previous one.', log_prefix, path,
                     str(error).splitlines()[0][:200])
      _set_aside(path)
      continue
    if index < len(paths) - 1:
      # Forget the bad ones so that the manager does not list them again.
      # Keep the save times: a manager lists only checkpoints saved after
      # last_preserved_timestamp, so without them the next run would see
      # none (and start over) and this one would never rotate them out.
      state = tf.train.get_checkpoint_state(folder)
      times = dict(zip(state.all_model_checkpoint_paths,
                       state.all_model_checkpoint_timestamps))
      tf.compat.v1.train.update_checkpoint_state(
          folder, path, all_model_checkpoint_paths=paths[:index + 1],
          all_model_checkpoint_timestamps=[times[p] for p in
                                           paths[:index + 1]],
          last_preserved_timestamp=state.last_preserved_timestamp)
      checkpoints = tf.train.CheckpointManager(checkpoint, folder,
                                               max_to_keep=MAX_TO_KEEP)
    return checkpoints, path
  if paths:
    # The state file still lists the bad ones; set it aside too, or every
    # rerun would try them again and fail here instead of starting over.
    state_file = os.path.join(folder, 'checkpoint')
    if os.path.exists(state_file):
      os.replace(state_file, os.path.join(folder, 'corrupt-checkpoint'))
    raise CheckpointError(
        f'None of the checkpoints in {folder} can be read; they were renamed '
        'to corrupt-*. Run again to start this run from scratch.')
  return checkpoints, None


def _set_aside(path: str):
  folder, prefix = os.path.split(path)
  for name in os.listdir(folder):
    if name.startswith(prefix + '.'):
      os.replace(os.path.join(folder, name),
                 os.path.join(folder, 'corrupt-' + name))


TRAIN_SECONDS_FILE = 'train_seconds.json'


def write_train_seconds(folder: str, step: int, seconds: float):
  """Records the training time up to the checkpoint of `step`, so that a
  resumed run can report its whole time, not only its last invocation's."""
  io_utils.write_json(os.path.join(folder, TRAIN_SECONDS_FILE),
                      {'step': step, 'seconds': seconds})


def read_train_seconds(folder: str, step: int) -> Optional[float]:
  """The training time up to the checkpoint of `step`, or None when no
  record belongs to that checkpoint (written before records were kept, or
  by a newer checkpoint that could not be read)."""
  try:
    record = io_utils.read_json(os.path.join(folder, TRAIN_SECONDS_FILE))
    if int(record['step']) == step:
      return float(record['seconds'])
  except (OSError, ValueError, KeyError, TypeError):
    pass
  return None
