"""The app's state modules (pages/_*.py): the private Streamlit flag the legacy-pages workaround
relies on still exists, and uploads belong to the browser session that made them."""

from __future__ import annotations

import pytest

from mewo_core.data import DataBundle
from mewo_core.data.uploads import NOT_YOURS, UploadStore
from mewo_core.errors import DataError


def test_streamlit_still_has_the_legacy_pages_flag() -> None:
    """Fails when Streamlit renames or drops ``PagesManager.uses_pages_directory``: then the
    first visit of a page's address would run it without the sidebar again."""
    from streamlit.runtime import pages_manager

    from pages import _legacy

    assert hasattr(pages_manager.PagesManager, _legacy.FLAG)  # None until a server sets it
    before = _legacy.legacy_mode_on()
    try:
        setattr(pages_manager.PagesManager, _legacy.FLAG, True)
        assert _legacy.legacy_mode_on()
        _legacy.turn_legacy_mode_off()
        assert not _legacy.legacy_mode_on()
    finally:
        setattr(pages_manager.PagesManager, _legacy.FLAG, before)


def _bundle() -> DataBundle:
    """A stand-in bundle: the store never looks inside."""
    return DataBundle(train=None, test=None)  # type: ignore[arg-type]


def test_an_upload_is_refused_to_another_owner_exactly_like_an_expired_one() -> None:
    store = UploadStore(per_owner=2)
    mine = _bundle()
    store.put("alice", "k1", "Upload a", mine)
    assert store.get("alice", "k1") == ("Upload a", mine)
    with pytest.raises(DataError) as foreign:
        store.get("bob", "k1")
    with pytest.raises(DataError) as unknown:
        store.get("alice", "nope")
    assert str(foreign.value) == str(unknown.value) == NOT_YOURS
    # bob uploading the same files holds his own copy; alice's stays hers
    store.put("bob", "k1", "Upload b", _bundle())
    assert store.get("alice", "k1")[0] == "Upload a"
    assert store.get("bob", "k1")[0] == "Upload b"


def test_each_owner_keeps_its_newest_uploads() -> None:
    store = UploadStore(per_owner=2, owners=2)
    for key in ("k1", "k2", "k3"):
        store.put("alice", key, key, _bundle())
    assert store.keys("alice") == ["k2", "k3"]
    store.put("bob", "k", "k", _bundle())
    store.put("carol", "k", "k", _bundle())  # alice is now the least recently used owner
    assert store.keys("alice") == []
    with pytest.raises(DataError):
        store.get("alice", "k3")


def test_the_browser_token_survives_a_new_xsrf_mask() -> None:
    """Streamlit's XSRF cookie is re-masked on every page load (Tornado's ``2|mask|masked|t``):
    the owner of a browser's uploads is the unmasked token, the same after a reload."""
    from pages._sources import _browser_token

    token = bytes(range(16))

    def cookie(mask: bytes) -> str:
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(token))
        return f"2|{mask.hex()}|{masked.hex()}|1796240037"

    first, reloaded = cookie(b"\x01\x02\x03\x04"), cookie(b"\xa0\xb1\xc2\xd3")
    assert first != reloaded
    assert _browser_token(first) == _browser_token(reloaded) == token.hex()
    assert _browser_token("plain") == "plain"
