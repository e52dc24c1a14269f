"""The paper's benchmark (Sec. 4.1, 4.3) over many classes, resumable.

`run_benchmark` is a sweep of one run folder (see sweep): it checks
everything that can fail on bad input, skips the classes the folder already
holds (see run_folder), trains the rest in this process or in worker
processes (see parallel), and writes the report.
"""

from typing import Any, Dict, Optional, Sequence

from ganad_tf.benchmark import sweep
from ganad_tf.benchmark.class_runner import TrainerCache
from ganad_tf.benchmark.config import BenchmarkConfig


def run_benchmark(config: BenchmarkConfig, output_dir: str,
                  normal_classes: Optional[Sequence[int]] = None,
                  jobs: int = 1, command: Optional[str] = None,
                  overwrite: bool = False,
                  cache: Optional[TrainerCache] = None) -> Dict[str, Any]:
  """Runs (or resumes) the benchmark and writes results.json and table.md.

  Args:
    config: the experiment configuration (config.data names the dataset).
    output_dir: the run folder.
    normal_classes: classes to treat as normal in turn; None means all.
    jobs: parallel worker processes, each running a share of the classes
      with cores/jobs threads.
    command: the command line, recorded in the outputs.
    overwrite: discard finished class results whose configuration differs
      instead of refusing to run.
    cache: keeps data and traced Trainers across calls in one process.

  Returns:
    The contents of results.json (empty on workers other than the chief).

  Raises:
    ConfigError, DatasetError, OutputError: bad flags, data or folder, each
      before anything is written.
  """
  results = sweep.run_sweep({output_dir: config}, normal_classes, jobs,
                            command, overwrite, cache)
  return results.get(output_dir, {})
