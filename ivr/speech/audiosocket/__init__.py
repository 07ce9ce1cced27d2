"""AudioSocket: Asterisk streams a call's audio to the service over TCP and plays what we send."""
