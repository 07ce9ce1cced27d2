"""AMI: live queue and channel state from Asterisk (pure message/state code plus one client)."""
