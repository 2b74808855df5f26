"""The local cloud: the platform on one machine, on moto, with the real handlers (docs/local-cloud.md)."""
