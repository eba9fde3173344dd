"""The demo catalogue's reference identity, the same on every machine (checked by the tests).

``SMALL`` are the sha256 of the CSV files of ``write_demo_data(folder, n_tracks=20_000,
seed=3)``; ``DEFAULT_TRAIN_FINGERPRINT`` is the train part's :attr:`Dataset.fingerprint` of the
default catalogue (110,000 tracks, seed 0), the data ``artifacts/demo-model`` was trained on.
A change to ``mewo_core/demo/`` that changes them must update them and retrain the demo model.
"""

SMALL_TRACKS, SMALL_SEED = 20_000, 3
SMALL = {
    "x_train": "f188d6088857f179023bc263b96ed0187d642d87260483d6870a8398a08ec111",
    "y_train": "bf157d18d8b3d2b2bba623915ee670bec63c77832247e89b1e73582ff3601154",
    "x_test": "119919becea030c09b742ebd24ed94148bcb24595bf251399faa23e864965dcb",
    "y_test": "b4a5cd35bdc49350cb1d14f2632b6d7c3547d71d3b6384dde3f563e0165da482",
    "groups": "f0864c60dc604bdf422b0483cd4778c5b8eaa8f93c3fd830c22bdf5974b12836",
    "taxonomy": "54ff94cc0d60b018ae4713e5b787382deff82626ab5729b9b5b77e200df68896",
}
DEFAULT_TRAIN_FINGERPRINT = "940f617a60d7db30"
