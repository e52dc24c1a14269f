"""The command line that started this process, for the record.

Result files store it so that a run can be repeated; the benchmark tools and
experiments.train_folder share it.
"""

import os
import shlex
import sys


def command_line() -> str:
  """The current command line, quoted so that a shell reruns it.

  `python -m <module> <arguments>`, or `python <script> <arguments>` for a
  script run by path.
  """
  main = sys.modules.get('__main__')
  spec = getattr(main, '__spec__', None)
  if spec and spec.name:
    program = ['-m', spec.name]
  else:
    program = sys.argv[:1]
  # shlex.join leaves plain words (letters, digits, @%+=:,./-) unquoted, so
  # the usual flag lines read as before.
  return shlex.join([os.path.basename(sys.executable)] + program
                    + sys.argv[1:])
