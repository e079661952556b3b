"""A minimal stand-in for the `awsglue` entry points the generated job uses, so tests can run
the very script we upload to Glue on local PySpark. It mirrors the real signatures only."""
