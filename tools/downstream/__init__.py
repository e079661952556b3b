"""Downstream services (MySQL, DynamoDB, Glue, S3), each behind one port with two adapters:
direct clients (aiomysql/boto3, here) and MCP clients (tools/downstream/mcp_client.py), chosen by a
config in the familiar `mcpServers` JSON shape."""
