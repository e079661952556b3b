"""The ground layer: errors, settings, workspace and artifacts, rendering, progress, and the
clients every stage shares (MySQL, AWS, SQL ASTs, prices). It imports nothing above it."""
