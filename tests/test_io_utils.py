"""Atomic writes, JSON / npz round trips and output-folder checks."""

import json
import os
import stat

import numpy as np
import pytest

from ganad_tf import io_utils
from ganad_tf.errors import OutputError


def test_atomic_write_keeps_old_file_when_writing_fails(tmp_path):
  path = tmp_path / 'result.json'
  io_utils.write_json(str(path), {'a': 1})
  with pytest.raises(TypeError):
    io_utils.write_json(str(path), {'a': object()})
  assert json.loads(path.read_text()) == {'a': 1}
  assert [p.name for p in tmp_path.iterdir()] == ['result.json']


def test_atomic_writes_get_the_permissions_of_a_normal_file(tmp_path):
  # mkstemp makes owner-only files; results must get the mode open() would
  # give (0o644 under the usual umask 022), so others can read them.
  umask = os.umask(0o022)
  os.umask(umask)
  io_utils.write_text(str(tmp_path / 'table.md'), 'x')
  io_utils.save_npz(str(tmp_path / 'scores.npz'), scores=np.zeros(2))
  with open(tmp_path / 'plain.txt', 'w') as handle:
    handle.write('x')
  expected = stat.S_IMODE(os.stat(tmp_path / 'plain.txt').st_mode)
  assert expected == 0o666 & ~umask
  for name in ('table.md', 'scores.npz'):
    assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == expected


def test_atomic_open_refuses_modes_it_cannot_make_atomic(tmp_path):
  # Appending to a fresh temporary file would drop the old content.
  with pytest.raises(ValueError, match='supports modes'):
    with io_utils.atomic_open(str(tmp_path / 'log.txt'), 'a'):
      pass
  assert not list(tmp_path.iterdir())


def test_atomic_npz_round_trip(tmp_path):
  path = str(tmp_path / 'scores.npz')
  io_utils.save_npz(path, scores=np.arange(3.0), labels=np.array([0, 1, 1]))
  loaded = np.load(path)
  np.testing.assert_array_equal(loaded['labels'], [0, 1, 1])
  np.testing.assert_array_equal(loaded['scores'], [0.0, 1.0, 2.0])


def test_json_handles_numpy_values(tmp_path):
  path = str(tmp_path / 'x.json')
  io_utils.write_json(path, {'a': np.float32(1.5), 'b': np.arange(2)})
  assert io_utils.read_json(path) == {'a': 1.5, 'b': [0, 1]}


def test_truncated_json_raises_value_error(tmp_path):
  # Callers (run_folder, persistence) catch ValueError to distrust the file.
  path = tmp_path / 'result.json'
  path.write_text('{"auroc": 9')
  with pytest.raises(ValueError):
    io_utils.read_json(str(path))


def test_check_writable_location_creates_nothing(tmp_path):
  target = tmp_path / 'a' / 'b'
  assert io_utils.check_writable_location(str(target)) == str(target)
  assert not list(tmp_path.iterdir())  # no folder, no probe file left


def test_check_writable_location_refuses_files(tmp_path):
  # Runs as root here, so a file stands in for an unwritable folder.
  blocker = tmp_path / 'blocker'
  blocker.write_text('x')
  with pytest.raises(OutputError, match='it is a file'):
    io_utils.check_writable_location(str(blocker))
  with pytest.raises(OutputError, match='is not a writable folder'):
    io_utils.check_writable_location(str(blocker / 'run'))


@pytest.mark.skipif(not os.path.isdir('/proc/self'), reason='needs procfs')
def test_check_writable_location_refuses_procfs_even_as_root():
  # os.access says yes to root everywhere; creating a file tells the truth.
  with pytest.raises(OutputError, match='is not a writable folder'):
    io_utils.check_writable_location('/proc/ganad_tf_test_run')


def test_ensure_writable_dir_creates_the_folder_and_leaves_no_probe(tmp_path):
  target = tmp_path / 'a' / 'b'
  assert io_utils.ensure_writable_dir(str(target)) == str(target)
  assert target.is_dir() and not list(target.iterdir())
  blocker = tmp_path / 'blocker'
  blocker.write_text('x')
  with pytest.raises(OutputError, match='Cannot write to output folder'):
    io_utils.ensure_writable_dir(str(blocker / 'run'))
