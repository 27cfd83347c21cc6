"""awsip.polars: placeholder until the engine lands (issue 14)."""
