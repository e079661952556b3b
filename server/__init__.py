"""Front ends (MCP server, CLI) and the cross-cutting pieces every stage shares:
settings, the error hierarchy, progress, rendering, the workspace. Nothing here
that the pure cores import depends on fastmcp."""
