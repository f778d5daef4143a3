"""One router per domain; each route translates HTTP to one service call and back."""
