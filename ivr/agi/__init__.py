"""FastAGI: the wire protocol (pure), the per-call channel API, the listener, the call session."""
