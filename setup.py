"""Package definition for ganad_tf."""

import os

import setuptools

HERE = os.path.dirname(os.path.abspath(__file__))


def _requirements():
  with open(os.path.join(HERE, 'requirements.txt')) as handle:
    lines = (line.split('#')[0].strip() for line in handle)
    return [line for line in lines if line]


setuptools.setup(
    name='ganad_tf',
    version='0.1.0',
    description=('GAN-based anomaly detection in imbalance problems '
                 '(ECCV 2020 workshops), TensorFlow 2 / Keras 3'),
    packages=setuptools.find_packages(include=['ganad_tf', 'ganad_tf.*',
                                               'experiments', 'experiments.*']),
    package_data={'experiments': ['presets/*.cfg']},
    python_requires='>=3.10',
    install_requires=_requirements(),
    extras_require={'test': ['pytest>=7'],
                    # ELPV solar-cell images (experiments.export_elpv).
                    'elpv': ['elpv-dataset']},
)
