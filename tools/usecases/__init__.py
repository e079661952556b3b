"""One use case per stage: resolves a caller's inputs (DSN and credentials, contract and files,
endpoints), applies policy (write consent, approvals, file access) and calls the stage cores.
The MCP tools and CLI commands are thin adapters over these functions."""
