"""The training imports in checkouts before and after the issue-11 package
layout, so that one script times old and new code in the same sitting."""

try:  # the package layout since issue 11
  from ganad_tf.core import config as config_lib
  from ganad_tf.core.trainer import Trainer
except ImportError:  # older checkouts
  from ganad_tf import config as config_lib
  from ganad_tf.trainer import Trainer

CONFIG_CLASS = (getattr(config_lib, 'CoreConfig', None) or
                config_lib.ExperimentConfig)
__all__ = ['config_lib', 'Trainer', 'CONFIG_CLASS']
