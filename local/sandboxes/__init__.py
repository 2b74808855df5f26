"""Stand-ins for external services, served on loopback by the local cloud and the tests."""
