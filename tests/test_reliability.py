"""A real training process killed mid-run resumes to the same result."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FLAGS = ['--dataset=digits', '--normal_classes=4', '--epochs=24',
         '--batch_size=16', '--learning_rate=0.001', '--log_every_secs=1',
         '--steps_per_execution=16']


def _command(output_dir):
  return [sys.executable, '-m', 'experiments.benchmark', *FLAGS,
          f'--output_dir={output_dir}']


def _run(output_dir, timeout=300):
  return subprocess.run(_command(output_dir), cwd=ROOT, capture_output=True,
                        text=True, timeout=timeout, check=False)


def _checkpoint_steps(output_dir):
  folder = os.path.join(output_dir, 'class_04', 'checkpoints')
  if not os.path.isdir(folder):
    return []
  return sorted(int(name[5:-6]) for name in os.listdir(folder)
                if name.startswith('ckpt-') and name.endswith('.index'))


@pytest.mark.slow
def test_sigkill_then_rerun_matches_uninterrupted_run(tmp_path):
  killed_dir = str(tmp_path / 'killed')
  process = subprocess.Popen(_command(killed_dir), cwd=ROOT,
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
  deadline = time.monotonic() + 240
  try:
    # Kill once a few epochs are checkpointed, well before the end (384
    # steps): the run is cut mid-epoch, between checkpoints.
    while time.monotonic() < deadline and process.poll() is None:
      steps = _checkpoint_steps(killed_dir)
      if steps and steps[-1] >= 48:
        time.sleep(0.3)
        break
      time.sleep(0.05)
    assert process.poll() is None, 'training ended before it could be killed'
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
  finally:
    if process.poll() is None:
      process.kill()
  result_path = os.path.join(killed_dir, 'class_04', 'result.json')
  assert not os.path.exists(result_path)
  killed_at = _checkpoint_steps(killed_dir)[-1]
  assert 48 <= killed_at < 384

  resumed = _run(killed_dir)
  assert resumed.returncode == 0, resumed.stderr[-3000:]
  assert 'Resumed from' in resumed.stderr
  with open(result_path) as handle:
    result = json.load(handle)
  assert result['resumed_from_step'] >= killed_at

  fresh_dir = str(tmp_path / 'fresh')
  fresh = _run(fresh_dir)
  assert fresh.returncode == 0, fresh.stderr[-3000:]
  # Same seed, same machine: the resumed run is bit-identical.
  scores = [np.load(os.path.join(d, 'class_04', 'scores.npz'))['scores']
            for d in (killed_dir, fresh_dir)]
  np.testing.assert_array_equal(scores[0], scores[1])
  results = [json.load(open(os.path.join(d, 'results.json')))
             for d in (killed_dir, fresh_dir)]
  assert results[0]['per_class'] == results[1]['per_class']


def _children(pid):
  found = []
  for entry in os.listdir('/proc'):
    if entry.isdigit():
      try:
        with open(f'/proc/{entry}/stat') as handle:
          fields = handle.read().rsplit(')', 1)[1].split()
      except OSError:
        continue
      if int(fields[1]) == pid and fields[0] != 'Z':
        found.append(int(entry))
  return found


def _alive(pid):
  try:
    with open(f'/proc/{pid}/stat') as handle:
      return handle.read().rsplit(')', 1)[1].split()[0] != 'Z'
  except OSError:
    return False


@pytest.mark.slow
@pytest.mark.skipif(not os.path.isdir('/proc'), reason='needs /proc')
def test_workers_stop_when_the_benchmark_process_is_killed(tmp_path):
  command = [sys.executable, '-m', 'experiments.benchmark',
             '--dataset=digits', '--normal_classes=0,1', '--epochs=500',
             '--jobs=2', f'--output_dir={tmp_path}']
  process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
  workers = []
  try:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(workers) < 2:
      # multiprocessing's spawn also starts a resource tracker child.
      workers = [p for p in _children(process.pid)
                 if 'spawn_main' in open(f'/proc/{p}/cmdline').read()
                 and 'resource_tracker' not in open(
                     f'/proc/{p}/cmdline').read()]
      time.sleep(0.2)
    assert len(workers) == 2, 'workers did not start'
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(_alive(p) for p in workers):
      time.sleep(0.2)
    assert not any(_alive(p) for p in workers), 'orphaned workers kept running'
  finally:
    for pid in workers:
      if _alive(pid):
        os.kill(pid, signal.SIGKILL)
    if process.poll() is None:
      process.kill()
