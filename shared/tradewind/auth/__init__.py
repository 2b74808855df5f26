"""Who is calling: Cognito tokens and the principal derived from them."""
