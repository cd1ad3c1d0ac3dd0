"""The HTTP API: conventions (errors, pagination, auth, audit) and the core's controllers."""
