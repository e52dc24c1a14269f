"""The command line that started this process, for the record.

Result files store it so that a run can be repeated; the benchmark tools and
experiments.train_folder share it.
"""

import os
import sys


def command_line() -> str:
  """The current command line, as `python -m <module> <arguments>`."""
  return ' '.join([os.path.basename(sys.executable), '-m',
                   _module_name()] + sys.argv[1:])


def _module_name() -> str:
  main = sys.modules.get('__main__')
  spec = getattr(main, '__spec__', None)
  return spec.name if spec and spec.name else (sys.argv[0] if sys.argv else '')
