"""One router per domain; each translates HTTP to one runtime call and back."""
