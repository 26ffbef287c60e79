"""Authentication and authorization: users, tokens, roles, scopes, and the access rules."""
