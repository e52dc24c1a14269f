"""Periodic progress log lines with throughput and ETA."""

import logging
import time
from typing import Callable, Dict, Optional

logger = logging.getLogger('ganad_tf')


def format_duration(seconds: float) -> str:
  seconds = max(0, int(round(seconds)))
  hours, rest = divmod(seconds, 3600)
  minutes, secs = divmod(rest, 60)
  if hours:
    return f'{hours}h{minutes:02d}m'
  if minutes:
    return f'{minutes}m{secs:02d}s'
  return f'{secs}s'


class ProgressLogger:
  """Logs `prefix step/total, rate, ETA, metrics` at most every `every_secs`.

  The rate is measured from this process's start, so a resumed run reports
  its own speed and an honest ETA for the steps left.
  """

  def __init__(self, total: int, every_secs: float = 10.0, prefix: str = '',
               unit: str = 'step', start: int = 0,
               clock: Callable[[], float] = time.monotonic,
               log: Optional[Callable[[str], None]] = None):
    self.total = total
    self.every_secs = every_secs
    self.prefix = prefix
    self.unit = unit
    self._clock = clock
    self._log = log or logger.info
    self._start_time = clock()
    self._start_count = start
    self._last_time = None

  def update(self, count: int, metrics: Optional[Dict[str, float]] = None,
             force: bool = False) -> Optional[str]:
    """Logs a line if enough time has passed (or `force`); returns it."""
    now = self._clock()
    if not force and self._last_time is not None and (
        now - self._last_time < self.every_secs):
      return None
    self._last_time = now
    elapsed = now - self._start_time
    done = count - self._start_count
    rate = done / elapsed if elapsed > 0 else 0.0
    remaining = (self.total - count) / rate if rate > 0 else float('nan')
    parts = [f'{self.prefix}{count}/{self.total} {self.unit}s',
             f'{100.0 * count / max(self.total, 1):.0f}%',
             f'{rate:.1f} {self.unit}s/s',
             f'elapsed {format_duration(elapsed)}',
             'ETA ' + (format_duration(remaining) if remaining == remaining
                       else '?')]
    if metrics:
      parts.append(' '.join(f'{k}={v:.4g}' for k, v in metrics.items()))
    line = ' | '.join(parts)
    self._log(line)
    return line
