// Clearing module: see docs/architecture.md
