"""What every HTTP handler shares: bodies read under limits, client addresses, CORS, JSON
errors."""
