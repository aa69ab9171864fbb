// Worker module: see docs/architecture.md
