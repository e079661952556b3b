"""mysql2ddb: move a MySQL application onto Amazon DynamoDB, from analysis to verified items."""

__version__ = "0.1.0"
