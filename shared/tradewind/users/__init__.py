"""Platform users as admins see them."""
