"""Progress lines: counts, rate, ETA and how often they are logged."""

import pytest

from ganad_tf.progress import ProgressLogger, format_duration


def _logger(now, lines, **kwargs):
  return ProgressLogger(100, every_secs=5, prefix='step ',
                        clock=lambda: now[0], log=lines.append, **kwargs)


def test_progress_logger_reports_rate_and_eta():
  now = [0.0]
  lines = []
  progress = _logger(now, lines)
  now[0] = 10.0
  progress.update(20, {'loss': 0.5})
  now[0] = 12.0
  assert progress.update(25) is None  # within every_secs
  assert '20/100' in lines[0] and '2.0 steps/s' in lines[0]
  assert 'ETA 40s' in lines[0] and 'loss=0.5' in lines[0]


def test_a_resumed_run_counts_only_its_own_steps():
  # Resumed at step 50, 10 steps in 10 s: 1 step/s, 40 steps left. Counting
  # from 0 would claim 6 steps/s and a 7 s ETA.
  now = [0.0]
  lines = []
  progress = _logger(now, lines, start=50)
  now[0] = 10.0
  line = progress.update(60)
  assert line == lines[0]
  assert line.startswith('step 60/100 steps | 60% | 1.0 steps/s')
  assert 'elapsed 10s' in line and 'ETA 40s' in line


def test_force_logs_at_once_and_no_progress_has_no_eta():
  now = [0.0]
  lines = []
  progress = _logger(now, lines)
  assert 'ETA ?' in progress.update(0)  # no time passed, no rate yet
  now[0] = 1.0
  assert progress.update(5) is None
  assert '5/100' in progress.update(5, force=True)
  assert len(lines) == 2


@pytest.mark.parametrize('seconds,text', [
    (5, '5s'), (59.6, '1m00s'), (61, '1m01s'), (3725, '1h02m'), (-3, '0s')])
def test_format_duration(seconds, text):
  assert format_duration(seconds) == text
