"""What API Gateway does in front of the functions: the REST API and the WebSocket API."""
