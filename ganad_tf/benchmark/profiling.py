"""Where a training step's time goes: TensorFlow profiler, by op type.

Profiles one epoch of `Trainer.fit` (after a first fit that traces) and sums
the profiler's self time of every op per op type, per step. Reading the
trace uses TensorFlow's own converter (the one TensorBoard's profile plugin
calls), which is not public API: if a TensorFlow release moves it, the
profile is still written and can be opened in TensorBoard.
"""

import collections
import glob
import json
import os
from typing import Any, Dict, List, Optional, Sequence

from ganad_tf.benchmark.config import BenchmarkConfig
from ganad_tf.benchmark import speed


def profile_training(image_shape: Sequence[int], group_size: int,
                     log_dir: str,
                     config: Optional[BenchmarkConfig] = None
                     ) -> Dict[str, Any]:
  """Profiles one traced-already epoch; returns the op-type breakdown."""
  timing = speed.training_speed(image_shape, group_size, config,
                                profile_dir=log_dir)
  return {'steps': timing['steps'],
          'steps_per_second_while_profiled': timing['steps_per_second'],
          'op_types': op_type_breakdown(log_dir, timing['steps'])}


def op_type_breakdown(log_dir: str, steps: int) -> List[Dict[str, Any]]:
  """Self time and count per op type, per step, largest first."""
  from tensorflow.python.profiler.internal import _pywrap_profiler_plugin  # pylint: disable=g-direct-tensorflow-import
  paths = sorted(glob.glob(os.path.join(log_dir, 'plugins', 'profile', '*',
                                        '*.xplane.pb')))
  data, _ = _pywrap_profiler_plugin.xspace_to_tools_data(
      [paths[-1]], 'framework_op_stats', {})
  table = json.loads(data)[0]
  columns = {c['id']: i for i, c in enumerate(table['cols'])}
  totals = collections.defaultdict(lambda: [0, 0.0])
  for row in table['rows']:
    cells = [c['v'] if c else None for c in row['c']]
    entry = totals[cells[columns['type']]]
    entry[0] += cells[columns['occurrences']]
    entry[1] += cells[columns['total_self_time']]
  grand = sum(us for _, us in totals.values())
  return [{'op_type': name, 'us_per_step': us / steps,
           'share': us / grand, 'ops_per_step': count / steps}
          for name, (count, us) in sorted(totals.items(),
                                          key=lambda kv: -kv[1][1])]


def format_breakdown(rows: List[Dict[str, Any]], top: int = 12) -> str:
  lines = ['| op type | µs per step | share | ops per step |',
           '|---|---:|---:|---:|']
  for row in rows[:top]:
    lines.append(f'| {row["op_type"]} | {row["us_per_step"]:.0f} | '
                 f'{100 * row["share"]:.1f}% | {row["ops_per_step"]:.1f} |')
  rest = rows[top:]
  if rest:
    lines.append(f'| (other {len(rest)} types) | '
                 f'{sum(r["us_per_step"] for r in rest):.0f} | '
                 f'{100 * sum(r["share"] for r in rest):.1f}% | '
                 f'{sum(r["ops_per_step"] for r in rest):.1f} |')
  return '\n'.join(lines) + '\n'
