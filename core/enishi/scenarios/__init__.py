"""Step scenarios (ステップ配信): documents, validation, the durable engine, the dry run and their life cycle."""
