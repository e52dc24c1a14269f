"""The paper's benchmark protocol and the studies built on it.

  config.py        BenchmarkConfig: the core config plus a dataset
  protocol.py      data preparation and the one-class-normal split
  class_runner.py  trains and scores one normal class; TrainerCache
  sweep.py         run_sweep: run folders planned, trained, collected
  runner.py        run_benchmark: a sweep of one folder
  parallel.py      (folder, class) runs from one queue in workers (--jobs)
  run_folder.py    the run folder's files, resume checks
  report.py        results.json and table.md beside the paper
  ablation.py      the loss ablation (Table 6)
  grid_search.py   the loss-weight grid search (Sec. 3.4)
  study.py         settings compared on validation data (issue 10)
  curves.py        AUROC against epoch from generator snapshots
  figures.py       matplotlib figures; figure_report.py draws a run's
  speed.py         training and inference throughput; profiling.py
  paper.py         the numbers the paper claims
"""
