"""awsip.duckdb: placeholder until the engine lands (issue 14)."""
