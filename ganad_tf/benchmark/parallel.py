"""Runs a benchmark's classes in several worker processes.

Each spawned worker prepares the data itself and runs its share of the
classes one after another with cores/jobs threads; results meet in the run
folder, where each class's result.json marks it done.
"""

import logging
import multiprocessing
import os
import threading
import time
from typing import Any, Dict, List

from ganad_tf.benchmark import protocol
from ganad_tf.benchmark.class_runner import ClassRunner
from ganad_tf.benchmark.config import BenchmarkConfig
from ganad_tf.core import runtime

logger = logging.getLogger('ganad_tf')


def _exit_with_parent(parent_pid: int, poll_seconds: float = 1.0):
  """Ends this worker if the benchmark process that started it dies.

  A killed parent cannot stop its workers; without this they would keep
  training as orphans. Finished classes are saved, so nothing is lost.
  """
  def watch():
    while True:
      if os.getppid() != parent_pid:
        os._exit(3)  # pylint: disable=protected-access
      time.sleep(poll_seconds)

  threading.Thread(target=watch, daemon=True, name='parent-watch').start()


def _run_shard(config_values: Dict[str, Any], classes: List[int],
               output_dir: str, threads: int, log_level: int,
               parent_pid: int):
  """Worker-process entry: runs some classes sequentially."""
  _exit_with_parent(parent_pid)
  logging.basicConfig(level=log_level,
                      format='%(asctime)s %(levelname)s %(message)s')
  logging.getLogger('ganad_tf').setLevel(log_level)
  from ganad_tf import logs
  logs.configure()  # the parent's --verbosity, passed on in the environment
  config = BenchmarkConfig.from_dict(config_values)
  runtime.configure(config.train.deterministic_ops, threads)
  runner = ClassRunner(config, protocol.prepare_data(config), output_dir)
  for normal_class in classes:
    runner.run(normal_class)


def run_parallel(config: BenchmarkConfig, classes: List[int],
                 output_dir: str, jobs: int):
  """Runs shards of the classes in `jobs` spawned processes.

  Raises:
    RuntimeError: a worker failed (its error is logged by the worker).
  """
  threads = max(1, (os.cpu_count() or 1) // jobs)
  shards = [classes[i::jobs] for i in range(jobs)]
  logger.info('Running %d worker processes with %d thread(s) each: %s', jobs,
              threads, shards)
  context = multiprocessing.get_context('spawn')
  processes = [
      context.Process(target=_run_shard,
                      args=(config.to_dict(), shard, output_dir, threads,
                            logging.getLogger('ganad_tf').getEffectiveLevel(),
                            os.getpid()),
                      name=f'ganad-worker-{i}', daemon=True)
      for i, shard in enumerate(shards)]
  for process in processes:
    process.start()
  failed = []
  for process in processes:
    process.join()
    if process.exitcode != 0:
      failed.append(f'{process.name} (exit code {process.exitcode})')
  if failed:
    raise RuntimeError(
        f'Worker processes failed: {", ".join(failed)}; their error is '
        'logged above. Finished classes are saved; rerun the same command to '
        'resume.')
