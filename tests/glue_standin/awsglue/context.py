from pyspark.sql import SparkSession


class GlueContext:
    def __init__(self, spark_context):
        self._sc = spark_context
        self.spark_session = SparkSession(spark_context)

    def extract_jdbc_conf(self, connection_name, catalog_id=None):
        raise RuntimeError("the local stand-in has no Glue connections; pass --secret_id")
