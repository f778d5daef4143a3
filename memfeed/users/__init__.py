"""User profiles: the traits an app sets with `PUT /v1/users/{id}` (events create bare profiles too)."""
