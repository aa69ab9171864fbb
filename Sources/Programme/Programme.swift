// Programme module: see docs/architecture.md
