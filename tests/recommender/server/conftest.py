"""A Spark session shared by the tests that build on Spark (local mode; skipped without Java)."""

from __future__ import annotations

import os
import shutil

import pytest


@pytest.fixture(scope="session")
def spark():
    pytest.importorskip("pyspark")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("no Java runtime for Spark (apt-get install default-jre-headless)")
    from recommender.server.spark_build import spark_session

    session = spark_session("local[2]", driver_memory="1g", shuffle_partitions=4)
    yield session
    session.stop()
