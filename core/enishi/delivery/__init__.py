"""The delivery engine: broadcasts (一斉配信 / セグメント配信) to all friends, a segment or a saved segment.

- :mod:`enishi.delivery.compose` — messages checked as scenario messages are, targets as segments are;
- :mod:`enishi.delivery.quota` — LINE's monthly quota (cached by a job) and the plan's message limit;
- :mod:`enishi.delivery.engine` — scheduling, fixing the audience, writing batches to the outbox and sending;
- :mod:`enishi.delivery.progress` — counting recipients as their requests settle, and progress for the UI.

Routes: :mod:`enishi.api.broadcast_routes`.
"""
