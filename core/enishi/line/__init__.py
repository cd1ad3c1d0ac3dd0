"""The LINE layer: webhook intake, friend lifecycle, sending (gateway and outbox) and the emulator."""
