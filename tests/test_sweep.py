"""run_sweep: several run folders planned first, trained, then collected."""

import os

import pytest

from conftest import digits_config
from ganad_tf.benchmark import parallel
from ganad_tf.benchmark import run_folder
from ganad_tf.benchmark import sweep
from ganad_tf.core import config as config_lib
from ganad_tf.errors import ConfigError


def _tiny(**train):
  settings = dict(epochs=1, batch_size=32, steps_per_execution=8)
  settings.update(train)
  return digits_config(**settings)


def test_a_bad_run_stops_the_sweep_before_any_training(tmp_path):
  good = str(tmp_path / 'good')
  bad = config_lib.replace(_tiny(), train={'patch_size': 64})
  with pytest.raises(ConfigError, match='patch_size=64'):
    sweep.run_sweep({good: _tiny(), str(tmp_path / 'bad'): bad},
                    normal_classes=[1])
  assert run_folder.load_class_result(good, 1, config_lib.fingerprint(
      _tiny())) is None


@pytest.mark.slow
def test_sweep_trains_every_pending_class_once_and_collects_each_run(
    tmp_path, monkeypatch):
  runs = {str(tmp_path / 'a'): _tiny(), str(tmp_path / 'b'): _tiny(seed=1)}
  outcomes = sweep.run_sweep(runs, normal_classes=[2, 5])
  assert set(outcomes) == set(runs)
  for folder, outcome in outcomes.items():
    assert sorted(outcome['per_class']) == ['2', '5']
    assert os.path.isfile(os.path.join(folder, run_folder.RESULTS_FILE))
  # Other seeds, other runs.
  assert outcomes[str(tmp_path / 'a')]['per_class'] != (
      outcomes[str(tmp_path / 'b')]['per_class'])
  # A rerun trains nothing, in this process or in workers, and reads the
  # same results back.
  monkeypatch.setattr(parallel, 'run_tasks', lambda *a: pytest.fail('ran'))
  again = sweep.run_sweep(runs, normal_classes=[2, 5], jobs=2)
  for folder in runs:
    assert again[folder]['per_class'] == outcomes[folder]['per_class']


def test_pending_classes_of_all_runs_share_one_worker_queue(tmp_path,
                                                            monkeypatch):
  queued = []
  monkeypatch.setattr(parallel, 'run_tasks', lambda tasks, jobs: queued.append(
      ([(os.path.basename(t.output_dir), t.normal_class) for t in tasks],
       jobs)))
  runs = {str(tmp_path / 'a'): _tiny(), str(tmp_path / 'b'): _tiny(seed=1)}
  # Nothing was trained, so collecting the results must fail, after the
  # one queue of all four (run, class) pairs went to the workers.
  with pytest.raises(Exception, match='has no result'):
    sweep.run_sweep(runs, normal_classes=[2, 5], jobs=2)
  assert queued == [([('a', 2), ('a', 5), ('b', 2), ('b', 5)], 2)]


def test_write_summary_adds_the_command_to_the_table(tmp_path):
  sweep.write_summary(str(tmp_path), 'x.json', {'command': 'python -m x'},
                      '# table\n')
  assert (tmp_path / 'table.md').read_text() == (
      '# table\n\n```\npython -m x\n```\n')
  sweep.write_summary(str(tmp_path), 'y.json', {'command': None}, '# t\n')
  assert (tmp_path / 'table.md').read_text() == '# t\n'
  assert (tmp_path / 'y.json').exists()
