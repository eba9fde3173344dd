"""The contract every registered model type keeps (in the spirit of sklearn's check_estimator):
``__init__`` only stores, learned attributes end in ``_`` and appear in ``fit``, predictions have
the right shape and dtype, save / load and a second fit with the same seed give identical
decisions, and data with other columns is refused clearly."""

from __future__ import annotations

import inspect
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from mewo_core.artifacts import load_model, save_model
from mewo_core.data import Dataset, load_folder, split_dataset
from mewo_core.errors import DataError
from mewo_core.models import MODEL_TYPES, DecisionModel, create_model, model_class
from tests.conftest import write_tiny_folder
from tests.helpers import FAST


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Dataset, Dataset]:
    """(train, test) of a tiny folder: 300 + 300 tracks, 4 tags and a category score."""
    bundle = load_folder(write_tiny_folder(tmp_path_factory.mktemp("tiny"), n=300, seed=4))
    return bundle.train, bundle.test


def _model(model_type: str) -> DecisionModel:
    return create_model(model_type, **FAST.get(model_type, {}))


def _fit(model: DecisionModel, train: Dataset) -> DecisionModel:
    if model.tuning.separate:
        fit, validation = split_dataset(train, 0.3, 0)
        return model.fit(fit, validation)
    return model.fit(train)


def fit_fast(model_type: str, train: Dataset) -> DecisionModel:
    """A ``model_type`` with the ``FAST`` settings, fitted on ``train`` (30 % of it held out for
    validation when the type uses one)."""
    return _fit(_model(model_type), train)


@pytest.fixture(scope="module", params=sorted(MODEL_TYPES))
def fitted(request: pytest.FixtureRequest, data) -> tuple[str, DecisionModel]:
    return request.param, _fit(_model(request.param), data[0])


@pytest.mark.parametrize("model_type", sorted(MODEL_TYPES))
def test_init_only_stores_the_spec_and_config_round_trips(model_type: str, data) -> None:
    cls = model_class(model_type)
    model = _model(model_type)
    names = [p.name for p in cls.params]
    assert list(vars(model)) == names  # nothing but the parameters, nothing learned
    assert not any(k.endswith("_") for k in vars(model))
    signature = inspect.signature(cls).parameters
    assert {k: v.default for k, v in signature.items()} == {p.name: p.default for p in cls.params}
    config = model.get_config()
    assert set(config) == set(names)
    assert cls.from_config(config).get_config() == config
    with pytest.raises(RuntimeError, match="not fitted"):
        model.predict(data[1])


def test_fit_learns_only_underscored_attributes(fitted, data) -> None:
    model_type, model = fitted
    before = _model(model_type)
    learned = set(vars(model)) - set(vars(before))
    assert learned and all(k.endswith("_") for k in learned), sorted(learned)
    assert {"feature_names_", "tag_names_", "taxonomy_", "thresholds_"} <= learned
    assert {k: getattr(model, k) for k in vars(before)} == vars(before)  # parameters untouched


def test_predictions_have_the_right_shape_and_dtype(fitted, data) -> None:
    _, model = fitted
    test = data[1]
    scores = model.decision_scores(test)
    decisions = model.predict(test)
    assert scores.shape == decisions.shape == (test.n_tracks, test.n_tags)
    # float32 for the threshold models (the tagger's own scores), float64 for the network
    assert np.issubdtype(scores.dtype, np.floating) and decisions.dtype == np.uint8
    assert model.thresholds_.shape == (test.n_tags,) and model.thresholds_.dtype == np.float64
    assert set(np.unique(decisions)) <= {0, 1}
    np.testing.assert_array_equal(decisions, scores >= model.thresholds_)


def test_save_and_load_give_identical_decisions(fitted, data, tmp_path: Path) -> None:
    _, model = fitted
    test = data[1]
    loaded = load_model(save_model(model, tmp_path / "m"))
    assert type(loaded) is type(model)
    assert loaded.get_config() == model.get_config()
    np.testing.assert_array_equal(loaded.thresholds_, model.thresholds_)
    np.testing.assert_array_equal(loaded.decision_scores(test), model.decision_scores(test))
    np.testing.assert_array_equal(loaded.predict(test), model.predict(test))


def test_data_with_other_columns_is_refused(fitted, data) -> None:
    _, model = fitted
    test = data[1]
    dropped = replace(test, X=test.X[:, 1:], feature_names=test.feature_names[1:])
    with pytest.raises(DataError, match=f"needs the features.*{test.feature_names[0]}"):
        model.predict(dropped)
    renamed = replace(test, tag_names=(*test.tag_names[:-1], "moods-unknown"))
    with pytest.raises(DataError, match="moods-unknown"):
        model.check_tags(renamed)
    shuffled = replace(test, X=test.X[:, ::-1].copy(), feature_names=test.feature_names[::-1])
    np.testing.assert_array_equal(model.predict(shuffled), model.predict(test))  # by name


def test_same_seed_same_model(fitted, data) -> None:
    model_type, model = fitted
    again = _fit(_model(model_type), data[0])
    np.testing.assert_array_equal(again.thresholds_, model.thresholds_)
    np.testing.assert_array_equal(again.predict(data[1]), model.predict(data[1]))
