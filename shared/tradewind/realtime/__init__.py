"""Live updates to browsers over the WebSocket API: connections, topics, pushes."""
