"""Restoring the newest readable checkpoint of a run folder."""

import logging
import os

import pytest
import tensorflow as tf

from ganad_tf.core import checkpoints
from ganad_tf.errors import CheckpointError


def _save(folder, values):
  """Saves one checkpoint per value of a single variable: ckpt-1, ckpt-2..."""
  variable = tf.Variable(0.0)
  manager = tf.train.CheckpointManager(tf.train.Checkpoint(v=variable),
                                       folder, max_to_keep=3)
  for value in values:
    variable.assign(value)
    manager.save()


def _restore(folder):
  """(restored value, manager, path) as a fresh process would see them."""
  variable = tf.Variable(-1.0)
  manager, path = checkpoints.open_and_restore(
      tf.train.Checkpoint(v=variable), folder)
  return float(variable.numpy()), manager, path


def _names(folder):
  return sorted(os.listdir(folder))


def _damage(folder, number, part):
  """Truncates the index or the data file of ckpt-<number>."""
  name = next(n for n in os.listdir(folder)
              if n.startswith(f'ckpt-{number}.{part}'))
  path = os.path.join(folder, name)
  with open(path, 'rb') as handle:
    head = handle.read(10)
  with open(path, 'wb') as handle:
    handle.write(head)


def test_restores_the_newest(tmp_path):
  folder = str(tmp_path)
  _save(folder, [1.0, 2.0, 3.0])
  value, manager, path = _restore(folder)
  assert value == 3.0
  assert path == os.path.join(folder, 'ckpt-3')
  assert manager.checkpoints == [os.path.join(folder, f'ckpt-{n}')
                                 for n in (1, 2, 3)]


@pytest.mark.parametrize('part', ['index', 'data'])
def test_corrupt_newest_is_set_aside_and_the_previous_restored(
    tmp_path, caplog, part):
  folder = str(tmp_path)
  _save(folder, [1.0, 2.0, 3.0])
  _damage(folder, 3, part)
  with caplog.at_level(logging.WARNING, logger='ganad_tf'):
    value, manager, path = _restore(folder)
  assert value == 2.0 and path == os.path.join(folder, 'ckpt-2')
  assert 'ckpt-3 cannot be read' in caplog.text
  # Renamed, not deleted: both files of ckpt-3 are kept as corrupt-*.
  names = _names(folder)
  assert [n for n in names if 'ckpt-3' in n] == [
      'corrupt-ckpt-3.data-00000-of-00001', 'corrupt-ckpt-3.index']
  assert manager.checkpoints == [os.path.join(folder, f'ckpt-{n}')
                                 for n in (1, 2)]


def test_after_a_fallback_the_older_checkpoints_stay_usable(tmp_path):
  folder = str(tmp_path)
  _save(folder, [1.0, 2.0, 3.0])
  _damage(folder, 3, 'data')
  _restore(folder)
  # A process killed again before its next save resumes from ckpt-2 too,
  # rather than starting over.
  value, manager, path = _restore(folder)
  assert value == 2.0 and path == os.path.join(folder, 'ckpt-2')
  # And the manager still rotates them: 2 more saves push out ckpt-1 only.
  manager.save(checkpoint_number=4)
  manager.save(checkpoint_number=5)
  assert [n for n in _names(folder) if n.startswith('ckpt-')
          and n.endswith('.index')] == ['ckpt-2.index', 'ckpt-4.index',
                                        'ckpt-5.index']


def test_no_readable_checkpoint_raises_then_a_rerun_starts_over(tmp_path):
  folder = str(tmp_path)
  _save(folder, [1.0, 2.0])
  for number in (1, 2):
    _damage(folder, number, 'data')
  with pytest.raises(CheckpointError, match='None of the checkpoints'):
    _restore(folder)
  assert all(name.startswith('corrupt-') for name in _names(folder))
  # As the error message promises, running again starts from scratch.
  value, manager, path = _restore(folder)
  assert (value, path, manager.checkpoints) == (-1.0, None, [])


@pytest.mark.parametrize('sub', ['', 'not_yet_made'])
def test_a_folder_without_checkpoints_restores_nothing(tmp_path, sub):
  folder = str(tmp_path / sub)
  value, manager, path = _restore(folder)
  assert (value, path, manager.checkpoints) == (-1.0, None, [])
