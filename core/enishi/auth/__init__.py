"""Staff authentication: passwords, browser sessions with CSRF tokens, personal API tokens, throttling."""
