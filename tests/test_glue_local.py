"""The generated Glue job, run on local PySpark (local[2], MariaDB's JDBC driver from the OS
packages, a stand-in for the awsglue entry points) against MariaDB and a moto server, yields
exactly the items the local engine yields: contract-expected.json holds for both."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mysql2ddb.tools.usecases import corpora
from mysql2ddb.tools.contract.catalog import read_catalog_sync
from mysql2ddb.tools.contract.load import load_contract
from mysql2ddb.tools.execution.spec import contract_specs
from mysql2ddb.tools.execution.tables import TableOptions, ensure_tables
from mysql2ddb.tools.execution.views import apply_views
from mysql2ddb.tools.glue.script import SHIPPED_CONVERT_NAME, convert_module_source, glue_specs, render_job_script
from tests.conftest import dsn_for
from tests.expected_items import assert_matches_expected

JDBC_JAR = Path("/usr/share/java/mariadb-java-client.jar")
STANDIN = Path(__file__).resolve().parent / "glue_standin"

pyspark = pytest.importorskip("pyspark", reason="PySpark is a dev dependency")
pytestmark = pytest.mark.skipif(not JDBC_JAR.exists() or shutil.which("java") is None,
                                reason="needs Java and Debian's libmariadb-java (make test installs them)")


@pytest.fixture(scope="module")
def glue_dsn():
    dsn = dsn_for("m2d_gl_sakila")
    corpora.ensure_sakila(dsn)
    return dsn


async def test_generated_glue_script_on_local_pyspark_matches_expected_items(glue_dsn, aws, sakila_dir, tmp_path):
    contract = load_contract(sakila_dir / "contract.json")
    await apply_views(contract, glue_dsn)
    catalog = read_catalog_sync(glue_dsn)
    specs = glue_specs(contract_specs(contract, catalog), glue_dsn, rows_per_partition=5000)
    assert specs["Payments"]["partitioning"]["column"] == "payment_id"
    assert specs["Payments"]["partitioning"]["count"] == 4
    ensure_tables(contract, catalog, aws, TableOptions())

    s3 = aws.client("s3")
    s3.create_bucket(Bucket="m2d-glue")
    s3.put_object(Bucket="m2d-glue", Key="specs.json", Body=json.dumps(specs, default=str).encode())
    secret = {"host": glue_dsn.host, "port": glue_dsn.port, "dbname": glue_dsn.database,
              "username": glue_dsn.user, "password": glue_dsn.password or ""}
    aws.client("secretsmanager").create_secret(Name="m2d/mysql", SecretString=json.dumps(secret))

    job = tmp_path / "job.py"
    job.write_text(render_job_script(contract))
    (tmp_path / SHIPPED_CONVERT_NAME).write_text(convert_module_source())
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(STANDIN), str(tmp_path)]),
           "PYSPARK_SUBMIT_ARGS": f"--master local[2] --jars {JDBC_JAR} --conf spark.ui.enabled=false "
           "--conf spark.driver.extraJavaOptions=-Duser.timezone=UTC pyspark-shell",
           "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    proc = subprocess.run(
        [sys.executable, str(job), "--JOB_NAME", "m2d-test", "--specs_s3_uri", "s3://m2d-glue/specs.json",
         "--region", aws.region, "--connection_name", "none", "--secret_id", "m2d/mysql",
         "--aws_endpoint_url", aws.endpoint_url],
        capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr[-4000:]
    result = json.loads(next(line for line in proc.stdout.splitlines() if line.startswith("MYSQL2DDB_RESULT "))[17:])
    assert sum(v[1] for v in result.values()) == 39475 and all(v[2] == 0 for v in result.values())
    assert glue_dsn.host not in job.read_text() and "jdbc:mysql://" + glue_dsn.host not in job.read_text()
    assert_matches_expected(aws.client("dynamodb"), sakila_dir)
