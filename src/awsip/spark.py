"""awsip.spark: placeholder until the engine lands (issue 14)."""
