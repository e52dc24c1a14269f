"""Runs benchmark classes in several worker processes.

A task is one normal class of one run folder (a benchmark's classes, or
every setting's classes of a study). Spawned workers take tasks from one
queue until it is empty, so a long task does not hold up a fixed share of
the others; each worker prepares the data it needs once, and traces a graph
once per structure (see TrainerCache). Results meet in the run folders,
where each class's result.json marks it done.
"""

import dataclasses
import logging
import multiprocessing
import os
import threading
import time
from typing import Any, Dict, Sequence

from ganad_tf.benchmark.class_runner import ClassRunner, TrainerCache
from ganad_tf.benchmark.config import BenchmarkConfig
from ganad_tf.core import runtime
from ganad_tf.core.config import fingerprint

logger = logging.getLogger('ganad_tf')


@dataclasses.dataclass(frozen=True)
class Task:
  """One normal class to train and score into one run folder."""
  config: BenchmarkConfig
  output_dir: str
  normal_class: int


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


def _run_tasks(queue, threads: int, log_level: int, parent_pid: int):
  """Worker-process entry: runs tasks from `queue` until its None."""
  _exit_with_parent(parent_pid)
  logging.basicConfig(level=log_level,
                      format='%(asctime)s %(levelname)s %(message)s')
  logging.getLogger('ganad_tf').setLevel(log_level)
  from ganad_tf import logs
  logs.configure()  # the parent's --verbosity, passed on in the environment
  cache = TrainerCache()
  runners: Dict[Any, ClassRunner] = {}
  while True:
    item = queue.get()
    if item is None:
      return
    config_values, output_dir, normal_class = item
    config = BenchmarkConfig.from_dict(config_values)
    # Threads are fixed by the first call; later ones only add determinism.
    runtime.configure(config.train.deterministic_ops, threads)
    key = (fingerprint(config), output_dir)
    if key not in runners:
      runners[key] = ClassRunner(config, cache.data(config), output_dir,
                                 cache)
    logger.info('%s: class %d of %s', multiprocessing.current_process().name,
                normal_class, output_dir)
    runners[key].run(normal_class)


def run_tasks(tasks: Sequence[Task], jobs: int):
  """Runs `tasks` in `jobs` spawned processes sharing one queue.

  Raises:
    RuntimeError: a worker failed (its error is logged by the worker).
  """
  jobs = max(1, min(jobs, len(tasks)))
  threads = max(1, runtime.cpu_count() // jobs)
  logger.info('Running %d worker processes with %d thread(s) each for %d '
              'class run(s).', jobs, threads, len(tasks))
  context = multiprocessing.get_context('spawn')
  queue = context.Queue()
  for task in tasks:
    queue.put((task.config.to_dict(), task.output_dir, task.normal_class))
  for _ in range(jobs):
    queue.put(None)  # one stop mark per worker
  processes = [
      context.Process(target=_run_tasks,
                      args=(queue, threads,
                            logging.getLogger('ganad_tf').getEffectiveLevel(),
                            os.getpid()),
                      name=f'ganad-worker-{i}', daemon=True)
      for i in range(jobs)]
  for process in processes:
    process.start()
  failed = []
  for process in processes:
    process.join()
    if process.exitcode != 0:
      failed.append(f'{process.name} (exit code {process.exitcode})')
  # Tasks left by failed workers must not keep this process from exiting.
  queue.cancel_join_thread()
  queue.close()
  if failed:
    raise RuntimeError(
        f'Worker processes failed: {", ".join(failed)}; their error is '
        'logged above. Finished classes are saved; rerun the same command to '
        'resume.')
