"""The vetlife services, one package each."""
