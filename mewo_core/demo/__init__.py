"""The embedded demo catalogue: its thesaurus, its generator, its files and its on-disk cache."""

from .cache import (
    BUNDLE_FILE,
    cache_root,
    demo_folder,
    demo_size,
    ensure_demo_data,
    generator_version,
    load_bundle,
    load_demo_bundle,
    save_bundle,
)
from .generator import Catalogue, generate_catalogue, iter_chunks
from .writer import file_digests, write_demo_data

__all__ = [
    "BUNDLE_FILE",
    "Catalogue",
    "cache_root",
    "demo_folder",
    "demo_size",
    "ensure_demo_data",
    "file_digests",
    "generate_catalogue",
    "generator_version",
    "iter_chunks",
    "load_bundle",
    "load_demo_bundle",
    "save_bundle",
    "write_demo_data",
]
