"""The operator's tablet: terminals, sign-in with badge and PIN, the dispatch list and
the operation screen (server-rendered; the same services as the API)."""
