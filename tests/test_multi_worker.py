"""MultiWorkerMirroredStrategy with two real worker processes on localhost.

Both workers train the same model on the same data; the gradients are
all-reduced across them, so they must end with the same weights, and only
the chief (worker 0) may write checkpoints and results.
"""

import json
import os
import socket
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIMEOUT_SECONDS = 300

# One worker. The strategy must exist before TensorFlow runs any op (it
# starts the collective runtime), so thread counts and the strategy come
# first. argv[1] is this worker's own output folder.
SCRIPT = textwrap.dedent('''
    import json
    import os
    import sys
    import numpy as np
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    from ganad_tf.core import distribute
    strategy = distribute.make_strategy('multi_worker')

    from ganad_tf.benchmark import runner
    from ganad_tf.benchmark.class_runner import TrainerCache
    from ganad_tf.benchmark.config import BenchmarkConfig
    from ganad_tf.core import config as config_lib
    from ganad_tf.core.trainer import Trainer

    out = sys.argv[1]
    index = json.loads(os.environ['TF_CONFIG'])['task']['index']
    assert strategy.num_replicas_in_sync == 2, strategy.num_replicas_in_sync
    assert distribute.task_id(strategy) == index
    assert distribute.is_chief(strategy) == (index == 0)

    # 1. Trainer.fit with a run folder.
    rng = np.random.default_rng(0)  # the same data on both workers
    normal = rng.uniform(-1, 1, (32, 32, 32, 1)).astype(np.float32)
    anomaly = rng.uniform(-1, 1, (32, 32, 32, 1)).astype(np.float32)
    # As in tests/test_distribute.py: no augmentation (its draws are per
    # replica), and a large Adam epsilon so that float-order noise in
    # near-zero gradients cannot flip updates.
    config = config_lib.replace(BenchmarkConfig(), train=dict(
        epochs=2, batch_size=8, learning_rate=0.05, adam_epsilon=1.0,
        augment='none', steps_per_execution=4, log_every_secs=1e9))
    trainer = Trainer(config, (32, 32, 1), 'digits', strategy=strategy)
    assert trainer.is_chief() == (index == 0)
    initial = [np.array(w) for w in
               trainer.initial_weights(config.train.seed)[0]]
    result = trainer.fit(normal, anomaly, run_dir=os.path.join(out, 'fit'))
    assert result.steps == 16, result.steps
    assert all(np.isfinite(v) for v in result.final_losses.values()), (
        result.final_losses)
    np.savez(os.path.join(out, 'fit_initial.npz'), *initial)
    np.savez(os.path.join(out, 'fit_final.npz'),
             *trainer.generator.get_weights())
    if index == 0:
      # The same run on this process's one device, without the strategy.
      single = Trainer(config, (32, 32, 1), 'digits')
      assert single.fit(normal, anomaly).steps == 16
      np.savez(os.path.join(out, 'fit_single.npz'),
               *single.generator.get_weights())

    # 2. The benchmark on one digits class (as tests/test_runner.py).
    bench_config = config_lib.replace(
        BenchmarkConfig(),
        train=dict(epochs=1, batch_size=16, learning_rate=1e-3,
                   steps_per_execution=16, log_every_secs=1000),
        data={'dataset': 'digits'})
    cache = TrainerCache(strategy)
    results = runner.run_benchmark(bench_config, os.path.join(out, 'bench'),
                                   normal_classes=[0], cache=cache)
    shape = cache.data(bench_config).train_images.shape[1:]
    bench_trainer = cache.trainer(bench_config, shape, 'digits')
    np.savez(os.path.join(out, 'bench_initial.npz'), *[
        np.array(w) for w in
        bench_trainer.initial_weights(bench_config.train.seed)[0]])
    np.savez(os.path.join(out, 'bench_final.npz'),
             *bench_trainer.generator.get_weights())
    with open(os.path.join(out, 'summary.json'), 'w') as handle:
      json.dump({'index': index, 'fit_steps': result.steps,
                 'benchmark_returned': sorted(results)}, handle)
    print('OK')
''')


def _free_ports(count):
  sockets = []
  try:
    for _ in range(count):
      sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
      sock.bind(('127.0.0.1', 0))
      sockets.append(sock)
    return [sock.getsockname()[1] for sock in sockets]
  finally:
    for sock in sockets:
      sock.close()


def _tail(path, chars=4000):
  try:
    with open(path, errors='replace') as handle:
      return handle.read()[-chars:]
  except OSError:
    return '(no output)'


def _logs(workers):
  return '\n'.join(
      f'--- worker {i} (exit {process.returncode}) stdout:\n'
      f'{_tail(stdout, 1000)}\n--- worker {i} stderr:\n{_tail(stderr)}'
      for i, (process, stdout, stderr) in enumerate(workers))


def _run_workers(tmp_path):
  """Starts both workers and waits; returns their output folders."""
  ports = _free_ports(2)
  cluster = [f'localhost:{port}' for port in ports]
  workers, folders = [], []
  for index in range(2):
    folder = tmp_path / f'worker_{index}'
    folder.mkdir()
    folders.append(str(folder))
    env = dict(os.environ)
    env.update(TF_CONFIG=json.dumps({
        'cluster': {'worker': cluster},
        'task': {'type': 'worker', 'index': index}}),
               TF_CPP_MIN_LOG_LEVEL='2', OMP_NUM_THREADS='1',
               CUDA_VISIBLE_DEVICES='')
    stdout = str(tmp_path / f'worker_{index}.out')
    stderr = str(tmp_path / f'worker_{index}.err')
    with open(stdout, 'w') as out, open(stderr, 'w') as err:
      process = subprocess.Popen(
          [sys.executable, '-c', SCRIPT, str(folder)], cwd=ROOT, env=env,
          stdout=out, stderr=err)
    workers.append((process, stdout, stderr))
  deadline = time.monotonic() + TIMEOUT_SECONDS
  try:
    # A worker that fails leaves the other waiting for it in a collective
    # forever: stop at the first failure instead of waiting for the timeout.
    while any(p.poll() is None for p, _, _ in workers):
      failed = [p for p, _, _ in workers if p.poll() not in (None, 0)]
      assert not failed, 'a worker failed:\n' + _logs(workers)
      assert time.monotonic() < deadline, (
          f'workers still running after {TIMEOUT_SECONDS} s (hang?):\n' +
          _logs(workers))
      time.sleep(0.5)
  finally:
    for process, _, _ in workers:
      if process.poll() is None:
        process.kill()
      process.wait()
  for index, (process, stdout, _) in enumerate(workers):
    assert process.returncode == 0, (f'worker {index} failed:\n' +
                                     _logs(workers))
    assert 'OK' in _tail(stdout), _logs(workers)
  return folders


def _load(path):
  with np.load(path) as saved:
    return [saved[f'arr_{i}'] for i in range(len(saved.files))]


def _check_same_trained_weights(folders, name):
  initial = [_load(os.path.join(f, f'{name}_initial.npz')) for f in folders]
  final = [_load(os.path.join(f, f'{name}_final.npz')) for f in folders]
  assert len(final[0]) == len(final[1]) == len(initial[0]) > 0
  for a, b in zip(*initial):
    np.testing.assert_array_equal(a, b)
  changed = max(float(np.max(np.abs(a - b)))
                for a, b in zip(initial[0], final[0]))
  worst = max(float(np.max(np.abs(a - b))) for a, b in zip(*final))
  # Training moved the weights, and both workers applied the same
  # all-reduced updates.
  assert changed > 1e-4, (name, changed)
  assert worst <= 1e-6 * max(changed, 1.0), (name, worst, changed)


def _files(folder):
  return sorted(os.path.relpath(os.path.join(d, f), folder)
                for d, _, names in os.walk(folder) for f in names)


@pytest.mark.slow
def test_two_workers_train_in_sync_and_only_the_chief_writes(tmp_path):
  chief, other = _run_workers(tmp_path)

  # 1. Both finished (return code 0, 'OK'); both fits ran all their steps.
  for index, folder in enumerate((chief, other)):
    with open(os.path.join(folder, 'summary.json')) as handle:
      summary = json.load(handle)
    assert summary['index'] == index and summary['fit_steps'] == 16

  # 2. Same weights on both workers, and training changed them.
  _check_same_trained_weights((chief, other), 'fit')
  _check_same_trained_weights((chief, other), 'bench')
  # Gradients averaged over the two workers' halves of each global batch:
  # the same result as one device on the whole batch, up to float order.
  # Not to 1e-3 as in tests/test_distribute.py: on these noise images the
  # latent-loss gradient (instance norm over the 2x2 bottleneck, L1 and
  # LeakyReLU kinks) jumps by ~1e-2 when the weights move by 6e-8, so float
  # order alone gives a relative difference of ~6e-3 after 16 steps (the
  # same jump shows on one device when the weights are perturbed by 6e-8).
  # Summing the replicas' gradients instead of averaging them gives ~1.
  initial = _load(os.path.join(chief, 'fit_initial.npz'))
  final = _load(os.path.join(chief, 'fit_final.npz'))
  single = _load(os.path.join(chief, 'fit_single.npz'))
  changed = max(float(np.max(np.abs(a - b))) for a, b in zip(initial, single))
  worst = max(float(np.max(np.abs(a - b))) for a, b in zip(final, single))
  assert changed > 1e-3 and worst < 5e-2 * changed, (worst, changed)

  # 3. Trainer.fit: the chief checkpoints to checkpoints/ and writes
  # summaries; the other worker only to its own hidden folder.
  fit_chief = os.path.join(chief, 'fit')
  fit_other = os.path.join(other, 'fit')
  assert sorted(os.listdir(fit_chief)) == ['checkpoints', 'summaries'], (
      _files(fit_chief))
  assert any(name.startswith('ckpt-16.')
             for name in os.listdir(os.path.join(fit_chief, 'checkpoints'))), (
                 _files(fit_chief))
  assert sorted(os.listdir(fit_other)) == ['.checkpoints_worker_1'], (
      _files(fit_other))
  assert any(name.startswith('ckpt-16.') for name in os.listdir(
      os.path.join(fit_other, '.checkpoints_worker_1'))), _files(fit_other)

  # The benchmark: the chief writes results.json, table.md and the class's
  # result, scores, generator and checkpoints; the other worker none of
  # them (its checkpoints go to .checkpoints_worker_1 only).
  with open(os.path.join(chief, 'summary.json')) as handle:
    assert 'per_class' in json.load(handle)['benchmark_returned']
  with open(os.path.join(other, 'summary.json')) as handle:
    assert json.load(handle)['benchmark_returned'] == []
  bench_chief = os.path.join(chief, 'bench')
  bench_other = os.path.join(other, 'bench')
  chief_files = _files(bench_chief)
  for name in ('results.json', 'table.md', 'class_00/result.json',
               'class_00/scores.npz', 'class_00/generator.keras',
               'class_00/checkpoints/checkpoint'):
    assert name in chief_files, chief_files
  assert not any('.checkpoints_worker_' in name for name in chief_files), (
      chief_files)
  with open(os.path.join(bench_chief, 'results.json')) as handle:
    assert set(json.load(handle)['per_class']) == {'0'}
  other_files = _files(bench_other)
  written = [name for name in other_files
             if name.endswith(('result.json', 'results.json', 'table.md',
                               'scores.npz', 'generator.keras',
                               'config.json'))
             or name.startswith('class_00/checkpoints/')
             or '/summaries/' in name]
  assert not written, other_files
  assert 'class_00/.checkpoints_worker_1/checkpoint' in other_files, (
      other_files)
