"""The run folder: class folders, trusted results, refusing other runs."""

import os
import shutil

import pytest

from conftest import digits_config
from ganad_tf import io_utils
from ganad_tf.benchmark import run_folder
from ganad_tf.core import config as config_lib
from ganad_tf.errors import OutputError


def _finished_class(output_dir, normal_class, fingerprint, scores=True):
  folder = run_folder.class_dir(output_dir, normal_class)
  if scores:
    io_utils.write_text(os.path.join(folder, run_folder.SCORES_FILE), 'x')
  io_utils.write_json(os.path.join(folder, run_folder.RESULT_FILE),
                      {'fingerprint': fingerprint, 'auroc': 90.0})


def test_class_dir_has_two_digits():
  assert run_folder.class_dir('run', 7) == os.path.join('run', 'class_07')
  assert run_folder.class_dir('run', 42) == os.path.join('run', 'class_42')


def test_only_results_of_this_config_with_scores_are_trusted(tmp_path):
  output_dir = str(tmp_path)
  assert run_folder.load_class_result(output_dir, 0, 'abc') is None
  _finished_class(output_dir, 0, 'abc')
  assert run_folder.load_class_result(output_dir, 0, 'abc')['auroc'] == 90.0
  assert run_folder.load_class_result(output_dir, 0, 'other') is None
  _finished_class(output_dir, 1, 'abc', scores=False)
  assert run_folder.load_class_result(output_dir, 1, 'abc') is None


@pytest.mark.slow
def test_truncated_result_is_not_trusted(finished_run, tmp_path):
  output_dir, _ = finished_run
  copy = str(tmp_path / 'run')
  shutil.copytree(run_folder.class_dir(output_dir, 7),
                  run_folder.class_dir(copy, 7))
  path = os.path.join(run_folder.class_dir(copy, 7), run_folder.RESULT_FILE)
  fingerprint = config_lib.fingerprint(digits_config())
  assert run_folder.load_class_result(copy, 7, fingerprint) is not None
  with open(path) as handle:
    text = handle.read()
  with open(path, 'w') as handle:
    handle.write(text[:len(text) // 2])
  assert run_folder.load_class_result(copy, 7, 'x') is None
  assert run_folder.load_class_result(copy, 7, fingerprint) is None


def test_existing_run_of_another_config_is_refused(tmp_path):
  output_dir = str(tmp_path)
  run_folder.check_existing_run(output_dir, 'new', overwrite=False)  # empty
  io_utils.write_json(os.path.join(output_dir, run_folder.CONFIG_FILE),
                      {'fingerprint': 'old'})
  run_folder.check_existing_run(output_dir, 'old', overwrite=False)
  with pytest.raises(OutputError, match='--overwrite'):
    run_folder.check_existing_run(output_dir, 'new', overwrite=False)
  run_folder.check_existing_run(output_dir, 'new', overwrite=True)
  io_utils.write_text(os.path.join(output_dir, run_folder.CONFIG_FILE), '{')
  run_folder.check_existing_run(output_dir, 'new', overwrite=False)
