"""The delivery engine: broadcasts (一斉配信 / セグメント配信) to all friends, a segment or a saved segment.

- :mod:`enishi.delivery.compose` — messages checked as scenario messages are, targets as segments are;
- :mod:`enishi.delivery.quota` — LINE's monthly quota (cached by a job) and the plan's message limit;
- :mod:`enishi.delivery.engine` — creating, scheduling, pausing and cancelling, fixing the audience when sending
  starts, and the sweeper;
- :mod:`enishi.delivery.dispatcher` — writing a started broadcast's batches to the outbox and sending them;
- :mod:`enishi.delivery.test_send` — a test send of checked messages to one LINE user;
- :mod:`enishi.delivery.progress` — counting recipients as their requests settle, and progress for the UI.

Routes: :mod:`enishi.api.broadcast_routes`.
"""
