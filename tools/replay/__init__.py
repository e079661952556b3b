"""Replay: the application's own read statements, with real parameters, against MySQL and against
the DynamoDB request the design maps each access pattern to, compared through the contract."""
