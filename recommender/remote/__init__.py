"""The opt-in remote recommendation service: protocol, settings, client, local fallback."""
