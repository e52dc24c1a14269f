"""The constrained loss-weight grid of Sec. 3.4 and its ranked search."""

import json
import os

import pytest

from conftest import digits_config
from ganad_tf.benchmark import grid_search
from ganad_tf.benchmark import run_folder
from ganad_tf.benchmark import sweep
from ganad_tf.benchmark.class_runner import TrainerCache
from ganad_tf.core import config as config_lib
from ganad_tf.errors import ConfigError


def test_grid_has_315_points_and_keeps_the_constraint():
  grid = grid_search.enumerate_grid()
  assert len(grid) == 315
  assert len(grid_search.enumerate_grid(strict=False)) == 414
  assert grid_search.grid_counts() == (315, 414)
  assert grid_search.TABLE2 in grid
  for weights in grid:
    normal = sum(weights[n] for n in grid_search.NORMAL)
    assert normal > 2 * sum(weights[n] for n in grid_search.ANOMALY)
  order = grid_search.choose_points(grid, 5, None, seed=0)
  assert order[0] == grid.index(grid_search.TABLE2) and len(set(order)) == 5


def test_explicit_points_are_checked():
  grid = grid_search.enumerate_grid()
  assert grid_search.choose_points(grid, None, [3, 1], seed=0) == [3, 1]
  with pytest.raises(ConfigError, match='outside 0..314'):
    grid_search.choose_points(grid, None, [315], seed=0)


@pytest.mark.slow
def test_grid_search_ranks_by_validation_and_resumes(tmp_path, caplog):
  cache = TrainerCache()
  base = config_lib.replace(digits_config(epochs=1),
                            data={'validation_fraction': 0.2})
  first = grid_search.run_grid_search(base, str(tmp_path), normal_classes=[2],
                                      max_points=2, cache=cache)
  ranking = first['ranking']
  assert len(ranking) == 2 and [r['rank'] for r in ranking] == [1, 2]
  # Each point's numbers are its class result's validation and test AUROC
  # (ranked by the first: model selection never looks at test data).
  for row in ranking:
    with open(os.path.join(run_folder.class_dir(
        str(tmp_path / grid_search.point_name(row['index'])), 2),
                           run_folder.RESULT_FILE)) as handle:
      saved = json.load(handle)
    assert row['validation_auroc'] == pytest.approx(saved['validation_auroc'])
    assert row['test_auroc'] == pytest.approx(saved['auroc'])
  assert any(r['is_table2'] for r in ranking)
  # The baseline: its own run's numbers, never ranked among the points.
  with open(os.path.join(run_folder.class_dir(
      str(tmp_path / sweep.BASELINE), 2), run_folder.RESULT_FILE)) as handle:
    saved = json.load(handle)
  assert saved['model'] == 'classifier'
  assert first['baseline']['validation_auroc'] == pytest.approx(
      saved['validation_auroc'])
  assert (f'| — | supervised classifier (baseline) | | | | | | | '
          f'{saved["validation_auroc"]:.2f} | {saved["auroc"]:.2f} |'
          ) in (tmp_path / 'table.md').read_text()
  caplog.set_level('INFO', logger='ganad_tf')
  again = grid_search.run_grid_search(base, str(tmp_path), normal_classes=[2],
                                      max_points=2, cache=cache)
  assert again['ranking'] == ranking
  assert caplog.text.count('already finished') == 3
  assert 'validation AUROC' in (tmp_path / 'table.md').read_text()


def test_grid_search_needs_a_validation_split(tmp_path):
  with pytest.raises(ConfigError, match='validation_fraction'):
    grid_search.run_grid_search(digits_config(), str(tmp_path))
