"""Loading the benchmark datasets through tensorflow_datasets.

tfds retries downloads for minutes when there is no network, so before
downloading we probe the download host and fail at once with a message that
says which files to pass with `--data_dir` instead.
"""

import socket
import threading
import time
import urllib.parse
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ganad_tf.data import registry
from ganad_tf.data.local_files import RawSplits, files_hint
from ganad_tf.errors import DatasetError

# Where tensorflow_datasets 4.9.10 downloads each dataset from (the `URL`
# of its mnist.py builders and `_cifar_info.url` of cifar.py).
TFDS_DOWNLOAD_URLS = {
    'mnist': 'https://storage.googleapis.com/cvdf-datasets/mnist/',
    'fashion_mnist':
        'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/',
    'cifar10': 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz',
    'cifar100': 'https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz',
}

# Examples per batch when reading a prepared tfds dataset.
_TFDS_BATCH = 10000


def _download_error(name: str, data_dir: str, reason: str) -> DatasetError:
  return DatasetError(
      f'Dataset {name!r} is not prepared in the tensorflow_datasets folder '
      f'{data_dir} and could not be downloaded: {reason}. '
      f'{files_hint(name)}')


def _unreachable_hosts(urls: Sequence[str], timeout: float) -> List[str]:
  """Returns 'host:port (reason)' for each URL whose host takes no connection.

  Probes run in daemon threads joined with a deadline, because name
  resolution ignores socket timeouts and can hang far longer than `timeout`.
  """
  results: Dict[Tuple[str, int], Optional[str]] = {}

  def probe(address):
    try:
      socket.create_connection(address, timeout=timeout).close()
      results[address] = None
    except OSError as error:
      results[address] = str(error) or type(error).__name__

  threads = {}
  for url in urls:
    parsed = urllib.parse.urlparse(url)
    port = parsed.port or (443 if parsed.scheme == 'https' else 80)
    address = (parsed.hostname, port)
    threads[address] = threading.Thread(target=probe, args=(address,),
                                        daemon=True)
    threads[address].start()
  deadline = time.monotonic() + timeout
  for thread in threads.values():
    thread.join(max(0.0, deadline - time.monotonic()))
  unreachable = []
  for (host, port) in threads:
    reason = results.get((host, port), f'no answer within {timeout:g} s')
    if reason is not None:
      unreachable.append(f'{host}:{port} ({reason})')
  return unreachable


def load_tfds(name: str, tfds_data_dir: Optional[str],
              network_timeout: float) -> RawSplits:
  """Loads through tfds, downloading only after the host answered.

  Args:
    name: a canonical registry name of a dataset with in_tfds.
    tfds_data_dir: tensorflow_datasets data folder (None: tfds's own).
    network_timeout: seconds to wait for the download host.

  Raises:
    DatasetError: tfds missing, download impossible, or data unreadable;
      the message says which files to pass with --data_dir instead.
  """
  try:
    import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
  except ImportError as error:
    raise DatasetError(
        f'tensorflow_datasets is needed to load {name!r} without --data_dir '
        f'but cannot be imported ({error}). Run `pip install '
        f'tensorflow-datasets importlib_resources`. '
        f'{files_hint(name)}') from error

  try:
    builder = tfds.builder(name, data_dir=tfds_data_dir)
    prepared = builder.is_prepared()
  except Exception as error:  # pylint: disable=broad-except
    raise DatasetError(
        f'tensorflow_datasets cannot set up {name!r} in data folder '
        f'{tfds_data_dir or "(tfds default)"}: {error}. '
        f'{files_hint(name)}') from error

  if not prepared:
    # A dataset that is not prepared may still be readable: under
    # tfds.testing.mock_data every builder reads fake examples without
    # files. Trying the read first keeps mocked tests off the network.
    try:
      return _read_tfds(name, builder, tfds)
    except Exception:  # pylint: disable=broad-except
      pass
    unreachable = _unreachable_hosts([TFDS_DOWNLOAD_URLS[name]],
                                     network_timeout)
    if unreachable:
      raise _download_error(
          name, builder.data_dir_root,
          f'cannot connect to {", ".join(unreachable)} (no network?)')
    try:
      builder.download_and_prepare()
    except ModuleNotFoundError as error:
      # tfds imports importlib_resources only when it prepares a dataset.
      module = error.name or 'importlib_resources'
      raise _download_error(
          name, builder.data_dir_root,
          f'tensorflow_datasets needs the module {module!r} to prepare it '
          f'({error}); run `pip install {module}`') from error
    except Exception as error:  # pylint: disable=broad-except
      raise _download_error(name, builder.data_dir_root,
                            f'{type(error).__name__}: {error}') from error

  try:
    return _read_tfds(name, builder, tfds)
  except DatasetError:
    raise
  except Exception as error:  # pylint: disable=broad-except
    raise DatasetError(
        f'tensorflow_datasets could not read the prepared {name!r} in '
        f'{builder.data_dir}: {type(error).__name__}: {error}. Delete that '
        f'folder so it is prepared again. {files_hint(name)}'
    ) from error


def _read_tfds(name: str, builder, tfds) -> RawSplits:
  """Reads both splits of a tfds builder into numpy arrays."""
  # CIFAR-100 is used with its 20 superclasses, not the 100 fine labels.
  label_key = 'coarse_label' if name == 'cifar100' else 'label'
  num_classes = builder.info.features[label_key].num_classes
  expected = registry.get(name).num_classes
  if num_classes != expected:
    raise DatasetError(
        f'tfds {name!r} has {num_classes} classes in {label_key!r}, expected '
        f'{expected}; use tensorflow-datasets 4.9.x or --data_dir.')
  arrays = []
  for split in ('train', 'test'):
    # Fixed-size batches, not batch_size=-1: that batches by the split sizes
    # in the dataset info, and where they are unknown (tfds.testing.mock_data)
    # it batches by sys.maxsize, which aborts the process in TensorFlow.
    dataset = builder.as_dataset(split=split, batch_size=_TFDS_BATCH)
    images, labels = [], []
    for batch in tfds.as_numpy(dataset):
      images.append(batch['image'])
      labels.append(batch[label_key])
    if not images:
      raise DatasetError(
          f'tfds {name!r} has an empty {split} split in {builder.data_dir}; '
          'delete that folder so it is prepared again, or use --data_dir.')
    arrays += [np.concatenate(images), np.concatenate(labels)]
  return RawSplits('tfds', *arrays)
