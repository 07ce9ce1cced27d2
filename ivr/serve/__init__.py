"""The telephony service behind ``ivr serve``: flows with hot reload, call sessions, AMI."""
