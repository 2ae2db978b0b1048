"""The coaching core: guidelines, review and rewrite. It knows nothing about Slack."""
