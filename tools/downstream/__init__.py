"""Downstream services (MySQL, DynamoDB, Glue, S3), each behind one port with two adapters:
direct clients (aiomysql/boto3, here) and MCP clients (server/downstream_mcp.py), chosen by a
config in the familiar `mcpServers` JSON shape."""
