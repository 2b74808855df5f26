"""Transport-neutral pieces of the HTTP API: problem documents and access rules."""
