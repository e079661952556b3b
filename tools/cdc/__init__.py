"""Live migration: follow the source's binlog while the application writes, apply each change
through the contract, cut over with proof."""
