"""The audience engine: segments compiled to SQL, friend search, saved segments and bulk operations."""
