"""Load Shopify's Admin GraphQL schema (API version 2026-10) for validating and executing documents."""

from __future__ import annotations

import functools
import gzip
import logging
import threading
import time
from pathlib import Path

import graphql

log = logging.getLogger(__name__)

API_VERSION = "2026-10"
SCHEMA_PATH = Path(__file__).parent / "schema" / "admin-2026-10.graphql.gz"


_build_lock = threading.Lock()


def load_admin_schema() -> graphql.GraphQLSchema:
    """The Admin API schema, built from the bundled SDL once per process (threads wait for one build)."""
    with _build_lock:
        return _build_admin_schema()


@functools.cache
def _build_admin_schema() -> graphql.GraphQLSchema:
    started = time.monotonic()
    with gzip.open(SCHEMA_PATH, "rt", encoding="utf-8") as fh:
        schema = graphql.build_schema(fh.read())
    # graphql-core 3.3 flags a few interface-deprecation mismatches in Shopify's own schema and then refuses to
    # validate or execute any document; the mismatches don't affect documents, so clear them (schema/README.md).
    schema._validation_errors = []  # noqa: SLF001
    log.info("Built Admin API schema %s in %.1f s", API_VERSION, time.monotonic() - started)
    return schema
